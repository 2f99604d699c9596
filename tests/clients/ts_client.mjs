// One MCP conversation with spotify-mcp-server through the official TypeScript SDK
// (@modelcontextprotocol/sdk, pinned in scripts/mcp-clients.sh), printed as one JSON object on
// stdout for tests/python/test_ts_client.py to check. Nothing is asserted here: every answer is
// reported as it came, and an error is reported as {"error": ...} in the step's place.
//
//   node ts_client.mjs --sdk NODE_MODULES [--subscribe] --http URL
//   node ts_client.mjs --sdk NODE_MODULES [--subscribe] --stdio COMMAND [ARG...]
//
// --sdk is the node_modules directory the SDK is installed in (SPOTIFY_MCP_TS_CLIENT_DIR).
// --subscribe adds resources/subscribe to now-playing, a playback change, and a bounded wait
// (--wait-ms, default 10000) for notifications/resources/updated.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const opts = { subscribe: false, waitMs: 10000 };
while (argv.length) {
  const a = argv.shift();
  if (a === "--sdk") opts.sdk = argv.shift();
  else if (a === "--subscribe") opts.subscribe = true;
  else if (a === "--wait-ms") opts.waitMs = Number(argv.shift());
  else if (a === "--http") opts.url = argv.shift();
  else if (a === "--stdio") {
    opts.command = argv.shift();
    opts.args = argv.splice(0);
  } else {
    console.error(`unknown argument ${a}`);
    process.exit(2);
  }
}
if (!opts.sdk || (!opts.url && !opts.command)) {
  console.error("usage: ts_client.mjs --sdk NODE_MODULES [--subscribe] (--http URL | --stdio COMMAND [ARG...])");
  process.exit(2);
}

// ESM resolution ignores NODE_PATH: import the SDK's modules through its package.json exports
// (an exact subpath, or the "./*" pattern).
const pkgDir = join(opts.sdk, "@modelcontextprotocol", "sdk");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const sdk = async (subpath) => {
  const target = pkg.exports[subpath] ?? pkg.exports["./*"];
  const file = (typeof target === "string" ? target : target.import).replace("*", subpath.slice(2));
  return import(pathToFileURL(join(pkgDir, file)).href);
};
const { Client } = await sdk("./client");
const types = await sdk("./types.js");

const out = { sdkVersion: pkg.version, transport: opts.url ? "streamable-http" : "stdio", steps: {} };
// Every message the server sent, in order (methods only for notifications).
const received = [];
const notifications = () => received.filter((m) => m.method).map((m) => ({ method: m.method, params: m.params }));

async function step(name, fn) {
  const started = Date.now();
  try {
    out.steps[name] = { result: await fn(), ms: Date.now() - started };
  } catch (e) {
    out.steps[name] = { error: { message: String(e?.message ?? e), code: e?.code }, ms: Date.now() - started };
  }
  return out.steps[name].result;
}

let transport;
if (opts.url) {
  const { StreamableHTTPClientTransport } = await sdk("./client/streamableHttp.js");
  transport = new StreamableHTTPClientTransport(new URL(opts.url));
} else {
  const { StdioClientTransport } = await sdk("./client/stdio.js");
  transport = new StdioClientTransport({ command: opts.command, args: opts.args, env: process.env, stderr: "inherit" });
}
// See what the server sends (the initialize result's protocolVersion, notifications) without
// changing what the SDK does with it: the transports call `this.onmessage`.
let sdkHandler;
const tapped = (message, extra) => {
  received.push(message);
  sdkHandler?.(message, extra);
};
Object.defineProperty(transport, "onmessage", {
  configurable: true,
  get: () => (sdkHandler ? tapped : undefined),
  set: (f) => {
    sdkHandler = f;
  },
});

const client = new Client({ name: "spotify-mcp-ts-client-test", version: "1.0.0" }, { capabilities: {} });
const logMessages = [];
client.setNotificationHandler(types.LoggingMessageNotificationSchema, (n) => {
  logMessages.push(n.params);
});
const updates = [];
client.setNotificationHandler(types.ResourceUpdatedNotificationSchema, (n) => {
  updates.push({ uri: n.params.uri, at: Date.now() });
});

const text = (result) => (result?.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  await client.connect(transport);
  const init = received.find((m) => m.result?.protocolVersion);
  out.initialize = {
    protocolVersion: init?.result.protocolVersion,
    serverInfo: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    sessionId: transport.sessionId ?? null,
  };
} catch (e) {
  out.initialize = { error: { message: String(e?.message ?? e), code: e?.code } };
  console.log(JSON.stringify(out));
  process.exit(0);
}

await step("tools/list", async () => (await client.listTools()).tools.map((t) => t.name));
await step("resources/list", async () => (await client.listResources()).resources.map((r) => r.uri));
await step("resources/templates/list", async () =>
  (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate),
);
const nowPlaying = async () => {
  const read = await client.readResource({ uri: "spotify://player/now-playing" });
  const c = read.contents[0];
  return { uri: c.uri, mimeType: c.mimeType, json: JSON.parse(c.text) };
};
const before = await step("resources/read now-playing", nowPlaying);

// Search for the track that is playing: its URI should be among the answers.
const query = before?.json?.item?.name ?? "Galaxy";
const search = await step("tools/call search", async () => {
  const r = await client.callTool({ name: "search", arguments: { query, types: ["track"], limit: 10 } });
  return { query, isError: r.isError ?? false, structuredContent: r.structuredContent, text: text(r) };
});

// A playback tool: play another track from the answer, then read now-playing again.
const tracks = search?.structuredContent?.tracks ?? [];
const other = tracks.find((t) => t.uri !== before?.json?.item?.uri) ?? tracks[0];
await step("tools/call play", async () => {
  const r = await client.callTool({ name: "play", arguments: { uris: [other.uri] } });
  return { uri: other.uri, isError: r.isError ?? false, structuredContent: r.structuredContent, text: text(r) };
});
await step("resources/read now-playing after play", nowPlaying);
await step("tools/call pause", async () => {
  const r = await client.callTool({ name: "pause", arguments: {} });
  return { isError: r.isError ?? false, structuredContent: r.structuredContent, text: text(r) };
});
await step("resources/read now-playing after pause", nowPlaying);

await step("prompts/list", async () =>
  (await client.listPrompts()).prompts.map((p) => ({ name: p.name, arguments: (p.arguments ?? []).map((a) => a.name) })),
);
await step("prompts/get dj_set", async () => {
  const r = await client.getPrompt({ name: "dj_set", arguments: { mood: "sunset", minutes: "60" } });
  return { description: r.description, text: r.messages.map((m) => m.content.text).join("\n") };
});

const complete = async (ref, name, value, context) =>
  (await client.complete({ ref, argument: { name, value }, ...(context ? { context } : {}) })).completion;
await step("completion/complete dj_set mood", () => complete({ type: "ref/prompt", name: "dj_set" }, "mood", "SUN"));
await step("completion/complete curate_playlist theme", () =>
  complete({ type: "ref/prompt", name: "curate_playlist" }, "theme", "jaz"),
);
await step("completion/complete explain_my_taste time_range", () =>
  complete({ type: "ref/prompt", name: "explain_my_taste" }, "time_range", "short"),
);
// A playlist template parameter: typed as the first letters of one of the user's playlists.
await step("completion/complete spotify://playlist/{id}", async () => {
  const mine = await client.callTool({ name: "get_my_playlists", arguments: { limit: 50 } });
  const first = mine.structuredContent?.items?.[0];
  const typed = first.name.slice(0, 3).toUpperCase();
  const completion = await complete({ type: "ref/resource", uri: "spotify://playlist/{id}" }, "id", typed);
  return { typed, playlist: { name: first.name, uri: first.uri }, completion };
});
await step("completion/complete unknown prompt", () => complete({ type: "ref/prompt", name: "no_such_prompt" }, "x", ""));

// Logging: nothing before a level is set; a failed tool call is logged at error after it.
await step("logging before setLevel", async () => {
  const r = await client.callTool({ name: "play", arguments: { device_id: "no-such-device" } });
  await sleep(300);
  return { isError: r.isError ?? false, messages: logMessages.length };
});
await step("logging/setLevel", async () => client.setLoggingLevel("error"));
await step("logging after setLevel", async () => {
  const r = await client.callTool({ name: "play", arguments: { device_id: "no-such-device" } });
  const deadline = Date.now() + 10000;
  while (!logMessages.some((m) => m.data?.tool === "play") && Date.now() < deadline) await sleep(50);
  return { isError: r.isError ?? false, messages: logMessages };
});

if (opts.subscribe) {
  await step("resources/subscribe now-playing", async () => {
    await client.subscribeResource({ uri: "spotify://player/now-playing" });
    return {};
  });
  if (!out.steps["resources/subscribe now-playing"].error) {
    // Let the poller take its first look before the change, so the change is a change.
    await sleep(1000);
    const quietBefore = updates.length;
    const changed = Date.now();
    await step("tools/call skip", async () => {
      const r = await client.callTool({ name: "skip", arguments: {} });
      return { isError: r.isError ?? false, text: text(r) };
    });
    await step("notifications/resources/updated", async () => {
      const deadline = changed + opts.waitMs;
      while (!updates.some((u) => u.at >= changed) && Date.now() < deadline) await sleep(25);
      const seen = updates.filter((u) => u.at >= changed);
      return { updates: seen.map((u) => ({ uri: u.uri, afterMs: u.at - changed })), beforeChange: quietBefore };
    });
    await step("resources/unsubscribe now-playing", async () => {
      await client.unsubscribeResource({ uri: "spotify://player/now-playing" });
      return {};
    });
  }
}

out.notifications = notifications();
await client.close().catch(() => {});
console.log(JSON.stringify(out));
process.exit(0);
