// One MCP conversation with spotify-mcp-server through the official TypeScript SDK (pinned in
// scripts/mcp-clients.sh), printed as one JSON object on stdout for
// tests/python/test_ts_client.py to check. Nothing is asserted here: every answer is reported as
// it came, and an error is reported as {"error": ...} in the step's place.
//
//   node ts_client.mjs --sdk NODE_MODULES [OPTIONS] --http URL
//   node ts_client.mjs --sdk NODE_MODULES [OPTIONS] --stdio COMMAND [ARG...]
//
// --sdk is the node_modules directory the SDK is installed in (SPOTIFY_MCP_TS_CLIENT_DIR).
// --package sdk (default): the 1.x SDK, @modelcontextprotocol/sdk, which speaks up to 2025-11-25.
// --package client: the 2.x client, @modelcontextprotocol/client; with --era modern it pins
//   2026-07-28 (server/discover, then stateless requests with the _meta envelope), with --era
//   legacy (default) it runs the 2025-11-25 initialize handshake.
// --subscribe adds a subscription to now-playing (resources/subscribe at 2025-11-25,
//   subscriptions/listen at 2026-07-28), a playback change, a bounded wait (--wait-ms, default
//   10000) for notifications/resources/updated, and the end of the subscription.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const opts = { subscribe: false, waitMs: 10000, package: "sdk", era: "legacy" };
while (argv.length) {
  const a = argv.shift();
  if (a === "--sdk") opts.sdk = argv.shift();
  else if (a === "--subscribe") opts.subscribe = true;
  else if (a === "--package") opts.package = argv.shift();
  else if (a === "--era") opts.era = argv.shift();
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
if (!opts.sdk || (!opts.url && !opts.command) || !["sdk", "client"].includes(opts.package)) {
  console.error("usage: ts_client.mjs --sdk NODE_MODULES [--subscribe] (--http URL | --stdio COMMAND [ARG...])");
  process.exit(2);
}

// ESM resolution ignores NODE_PATH: import the SDK's modules through its package.json exports
// (an exact subpath, or the "./*" pattern; the "import" condition).
const pkgDir = join(opts.sdk, "@modelcontextprotocol", opts.package);
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const load = async (subpath) => {
  const target = pkg.exports[subpath] ?? pkg.exports["./*"];
  let file = typeof target === "string" ? target : target.import;
  if (typeof file !== "string") file = file.default;
  return import(pathToFileURL(join(pkgDir, file.replace("*", subpath.slice(2)))).href);
};
// The 1.x SDK has a module per part and registers notification handlers by schema; the 2.x
// client exports everything from its root (stdio apart) and registers them by method name.
let Client, HttpTransport, StdioTransport, onNotification;
if (opts.package === "sdk") {
  ({ Client } = await load("./client"));
  ({ StreamableHTTPClientTransport: HttpTransport } = await load("./client/streamableHttp.js"));
  ({ StdioClientTransport: StdioTransport } = await load("./client/stdio.js"));
  const types = await load("./types.js");
  const schemas = {
    "notifications/message": types.LoggingMessageNotificationSchema,
    "notifications/resources/updated": types.ResourceUpdatedNotificationSchema,
  };
  onNotification = (client, method, f) => client.setNotificationHandler(schemas[method], f);
} else {
  ({ Client, StreamableHTTPClientTransport: HttpTransport } = await load("."));
  ({ StdioClientTransport: StdioTransport } = await load("./stdio"));
  onNotification = (client, method, f) => client.setNotificationHandler(method, f);
}
const modern = opts.package === "client" && opts.era === "modern";

const out = { package: pkg.name, sdkVersion: pkg.version, era: opts.era, transport: opts.url ? "streamable-http" : "stdio", steps: {} };
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
  transport = new HttpTransport(new URL(opts.url));
} else {
  transport = new StdioTransport({ command: opts.command, args: opts.args, env: process.env, stderr: "inherit" });
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

const client = new Client(
  { name: "spotify-mcp-ts-client-test", version: "1.0.0" },
  { capabilities: {}, ...(modern ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {}) },
);
const logMessages = [];
onNotification(client, "notifications/message", (n) => {
  logMessages.push(n.params);
});
const updates = [];
onNotification(client, "notifications/resources/updated", (n) => {
  updates.push({ uri: n.params.uri, at: Date.now() });
});

const text = (result) => (result?.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  await client.connect(transport);
  const init = received.find((m) => m.result?.protocolVersion);
  out.initialize = {
    // 2.x knows what it negotiated (initialize or server/discover); 1.x: the initialize answer.
    protocolVersion: client.getNegotiatedProtocolVersion?.() ?? init?.result.protocolVersion,
    protocolEra: client.getProtocolEra?.() ?? "legacy",
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
const NOW_PLAYING = "spotify://player/now-playing";
const nowPlaying = async () => {
  const read = await client.readResource({ uri: NOW_PLAYING });
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

// Logging: nothing before a level is set; a failed tool call is logged at error after it. At
// 2026-07-28 there is no logging/setLevel: the level goes in the request's _meta.
await step("logging before setLevel", async () => {
  const r = await client.callTool({ name: "play", arguments: { device_id: "no-such-device" } });
  await sleep(300);
  return { isError: r.isError ?? false, messages: logMessages.length };
});
if (!modern) await step("logging/setLevel", async () => client.setLoggingLevel("error"));
await step("logging after setLevel", async () => {
  const _meta = modern ? { "io.modelcontextprotocol/logLevel": "error" } : undefined;
  const r = await client.callTool({ name: "play", arguments: { device_id: "no-such-device" }, _meta });
  const deadline = Date.now() + 10000;
  while (!logMessages.some((m) => m.data?.tool === "play") && Date.now() < deadline) await sleep(50);
  return { isError: r.isError ?? false, messages: logMessages };
});

// Subscriptions: 2025-11-25 resources/subscribe; 2026-07-28 a subscriptions/listen stream (the
// 2.x client's listen()). Either way a change comes as notifications/resources/updated.
if (opts.subscribe) {
  let listening;
  await step("subscribe now-playing", async () => {
    if (modern) {
      listening = await client.listen({ resourceSubscriptions: [NOW_PLAYING] });
      return { method: "subscriptions/listen", honoredFilter: listening.honoredFilter };
    }
    await client.subscribeResource({ uri: NOW_PLAYING });
    return { method: "resources/subscribe" };
  });
  if (!out.steps["subscribe now-playing"].error) {
    // Let the poller take its first look before the change, so the change is a change.
    await sleep(1000);
    const quietBefore = updates.length;
    const changed = Date.now();
    // Play another track of the search answer (now-playing's item and state change).
    await step("tools/call play (change)", async () => {
      const current = (await nowPlaying()).json?.item?.uri;
      const next = tracks.find((t) => t.uri !== current);
      const r = await client.callTool({ name: "play", arguments: next ? { uris: [next.uri] } : {} });
      return { from: current, uri: next?.uri, isError: r.isError ?? false, text: text(r) };
    });
    await step("notifications/resources/updated", async () => {
      const deadline = changed + opts.waitMs;
      while (!updates.some((u) => u.at >= changed) && Date.now() < deadline) await sleep(25);
      const seen = updates.filter((u) => u.at >= changed);
      return { updates: seen.map((u) => ({ uri: u.uri, afterMs: u.at - changed })), beforeChange: quietBefore };
    });
    await step("unsubscribe now-playing", async () => {
      if (modern) await listening.close();
      else await client.unsubscribeResource({ uri: NOW_PLAYING });
      return {};
    });
  }
}

out.notifications = notifications();
await client.close().catch(() => {});
console.log(JSON.stringify(out));
process.exit(0);
