// A person signing in to the hosted server (`spotify-mcp-server --oauth`) through the official
// TypeScript SDK's OAuth client provider (pinned in scripts/mcp-clients.sh), printed as one JSON
// object on stdout for tests/python/test_hosted_ts.py to check. Nothing is asserted here: every
// answer is reported as it came, an error as {"error": ...} in the step's place.
//
//   node ts_oauth_client.mjs --sdk NODE_MODULES [--package sdk|client] [--era legacy|modern]
//                            [--user premium|free] --http MCP_URL
//
// The provider keeps the client information, the tokens and the PKCE verifier in memory. Its
// redirectToAuthorization(url) is the person's browser, by hand like tests/python/oauth_flow.py's
// Browser: fetch with redirect "manual" and one cookie kept by hand:
//   GET the consent page -> POST its form (pending, csrf, decision=approve) -> GET Spotify's
//   /authorize (the sandbox approves at once) -> GET our callback with the cookie -> the
//   client's redirect URI, whose query is kept (never opened).
// Then: connect() throws UnauthorizedError; finishAuth (1.x: the code; 2.x: the callback's
// searchParams, which the SDK checks `iss` in); connect again on a new transport; tools/list and
// tools/call get_profile; a second connection that must not sign in again; and one whose access
// token went bad, which the SDK must refresh rather than sign in again.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";

const argv = process.argv.slice(2);
const opts = { package: "sdk", era: "legacy", user: "premium" };
while (argv.length) {
  const a = argv.shift();
  if (a === "--sdk") opts.sdk = argv.shift();
  else if (a === "--package") opts.package = argv.shift();
  else if (a === "--era") opts.era = argv.shift();
  else if (a === "--user") opts.user = argv.shift();
  else if (a === "--http") opts.url = argv.shift();
  else {
    console.error(`unknown argument ${a}`);
    process.exit(2);
  }
}
if (!opts.sdk || !opts.url || !["sdk", "client"].includes(opts.package)) {
  console.error("usage: ts_oauth_client.mjs --sdk NODE_MODULES [--package sdk|client] [--era legacy|modern] --http URL");
  process.exit(2);
}

// ESM resolution ignores NODE_PATH: import through the package's exports (as ts_client.mjs).
const pkgDir = join(opts.sdk, "@modelcontextprotocol", opts.package);
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const load = async (subpath) => {
  const target = pkg.exports[subpath] ?? pkg.exports["./*"];
  let file = typeof target === "string" ? target : target.import;
  if (typeof file !== "string") file = file.default;
  return import(pathToFileURL(join(pkgDir, file.replace("*", subpath.slice(2)))).href);
};
let Client, Transport, UnauthorizedError;
if (opts.package === "sdk") {
  ({ Client } = await load("./client"));
  ({ StreamableHTTPClientTransport: Transport } = await load("./client/streamableHttp.js"));
  ({ UnauthorizedError } = await load("./client/auth.js"));
} else {
  ({ Client, StreamableHTTPClientTransport: Transport, UnauthorizedError } = await load("."));
}
const modern = opts.package === "client" && opts.era === "modern";

const REDIRECT_URL = "http://127.0.0.1:9/callback";
const out = {
  package: pkg.name,
  sdkVersion: pkg.version,
  era: opts.era,
  signIns: 0,
  hops: [],
  steps: {},
};
const fail = (e) => ({ name: e?.name, message: String(e?.message ?? e), code: e?.code });

// ---- the person's browser: every hop seen, one cookie kept by hand ---------------------------
const FIELD = /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
const unescape = (s) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const browser = {
  cookies: new Map(), // origin -> "name=value; ..." (sent back only to the origin that set it)
  async go(method, url, body) {
    const origin = new URL(url).origin;
    const headers = {};
    if (this.cookies.has(origin)) headers.cookie = this.cookies.get(origin);
    if (body) headers["content-type"] = "application/x-www-form-urlencoded";
    const r = await fetch(url, { method, headers, body, redirect: "manual" });
    const set = r.headers.getSetCookie?.() ?? [];
    if (set.length) this.cookies.set(origin, set.map((c) => c.split(";")[0]).join("; "));
    const hop = { method, url: String(url).split("?")[0], status: r.status, cookieSent: !!headers.cookie, cookieSet: set.length > 0 };
    out.hops.push(hop);
    return { r, text: await r.text(), location: r.headers.get("location") };
  },
  // The whole sign-in with approval: the client's redirect URL (with code, state, iss).
  async signIn(authorizationUrl) {
    const consent = await this.go("GET", authorizationUrl);
    if (consent.r.status !== 200) throw new Error(`consent page: HTTP ${consent.r.status}: ${consent.text.slice(0, 300)}`);
    out.consent = {
      hasApprove: consent.text.includes('value="approve"'),
      hasDeny: consent.text.includes('value="deny"'),
      clientName: consent.text.includes("spotify-mcp-ts-oauth-test"),
    };
    const fields = Object.fromEntries([...consent.text.matchAll(FIELD)].map(([, k, v]) => [k, unescape(v)]));
    const action = new URL(consent.text.match(/<form method="post" action="([^"]+)"/)[1], authorizationUrl);
    const decision = await this.go("POST", action, new URLSearchParams({ ...fields, decision: "approve" }).toString());
    if (!decision.location) throw new Error(`decision: HTTP ${decision.r.status}: ${decision.text.slice(0, 300)}`);
    let spotify = decision.location;
    if (opts.user !== "premium") spotify += `&sandbox_user=${encodeURIComponent(opts.user)}`;
    const upstream = await this.go("GET", spotify);
    if (!upstream.location) throw new Error(`Spotify /authorize: HTTP ${upstream.r.status}: ${upstream.text.slice(0, 300)}`);
    const callback = await this.go("GET", upstream.location);
    if (!callback.location) throw new Error(`callback: HTTP ${callback.r.status}: ${callback.text.slice(0, 300)}`);
    return callback.location;
  },
};

// ---- the OAuthClientProvider: everything in memory -------------------------------------------
let callbackUrl;
const store = { clientInformation: undefined, tokens: undefined, codeVerifier: undefined, discovery: undefined, states: [] };
const provider = {
  get redirectUrl() {
    return REDIRECT_URL;
  },
  get clientMetadata() {
    return {
      client_name: "spotify-mcp-ts-oauth-test",
      redirect_uris: [REDIRECT_URL],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  },
  state() {
    const s = randomBytes(16).toString("base64url");
    store.states.push(s);
    return s;
  },
  clientInformation: () => store.clientInformation,
  saveClientInformation: (info) => {
    store.clientInformation = info;
  },
  tokens: () => store.tokens,
  saveTokens: (tokens) => {
    store.tokens = tokens;
  },
  saveCodeVerifier: (v) => {
    store.codeVerifier = v;
  },
  codeVerifier: () => {
    if (!store.codeVerifier) throw new Error("no code verifier saved");
    return store.codeVerifier;
  },
  // 2.x keeps what it discovered across the redirect, to check on the way back that the code
  // comes from the authorization server it sent the person to.
  saveDiscoveryState: (state) => {
    store.discovery = state;
  },
  discoveryState: () => store.discovery,
  async redirectToAuthorization(url) {
    out.signIns += 1;
    out.authorizationUrl = Object.fromEntries(new URL(url).searchParams);
    callbackUrl = new URL(await browser.signIn(url));
  },
};

async function step(name, fn) {
  try {
    out.steps[name] = { result: await fn() };
  } catch (e) {
    out.steps[name] = { error: fail(e) };
  }
  return out.steps[name].result;
}

const newClient = () =>
  new Client(
    { name: "spotify-mcp-ts-oauth-test", version: "1.0.0" },
    { capabilities: {}, ...(modern ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {}) },
  );
const newTransport = () => new Transport(new URL(opts.url), { authProvider: provider });
const describe = (client, transport) => ({
  // 2.x knows what it negotiated; 1.x's transport keeps the initialize answer's version.
  protocolVersion: client.getNegotiatedProtocolVersion?.() ?? transport.protocolVersion ?? null,
  protocolEra: client.getProtocolEra?.() ?? "legacy",
  serverName: client.getServerVersion()?.name,
  sessionId: transport.sessionId ?? null,
});

// 1. No tokens: the SDK discovers, registers, and sends the person to sign in, then throws.
const first = newTransport();
try {
  await newClient().connect(first);
  out.firstConnect = { connected: true };
} catch (e) {
  out.firstConnect = { error: fail(e), unauthorized: e instanceof UnauthorizedError };
}
if (callbackUrl) {
  out.callback = {
    params: [...callbackUrl.searchParams.keys()].sort(),
    stateMatches: store.states.includes(callbackUrl.searchParams.get("state")),
    iss: callbackUrl.searchParams.get("iss"),
  };
}
out.registered = store.clientInformation ? { client_id: store.clientInformation.client_id } : null;
out.discoveryStateKept = store.discovery !== undefined;

// 2. The browser came back: redeem the code (2.x checks iss against the issuer it recorded).
await step("finishAuth", async () => {
  if (!callbackUrl) throw new Error("the provider was never asked to redirect");
  if (opts.package === "sdk") await first.finishAuth(callbackUrl.searchParams.get("code"));
  else await first.finishAuth(callbackUrl.searchParams);
  const t = store.tokens;
  return {
    token_type: t?.token_type,
    access: t?.access_token?.slice(0, 8),
    refresh: t?.refresh_token?.slice(0, 8),
    scope: t?.scope,
  };
});

// 3. Connect again on a new transport: the token opens /mcp.
const transport = newTransport();
const client = newClient();
await step("connect with tokens", async () => {
  await client.connect(transport);
  return describe(client, transport);
});
await step("tools/list", async () => (await client.listTools()).tools.map((t) => t.name));
await step("tools/call get_profile", async () => {
  const r = await client.callTool({ name: "get_profile", arguments: {} });
  return { isError: r.isError ?? false, structuredContent: r.structuredContent };
});
await client.close().catch(() => {});

// 4. A new connection with the same provider: the stored token, no second sign-in.
const again = newClient();
const againTransport = newTransport();
await step("reconnect", async () => {
  await again.connect(againTransport);
  const r = await again.callTool({ name: "get_profile", arguments: {} });
  return { ...describe(again, againTransport), id: r.structuredContent?.id };
});
await again.close().catch(() => {});

// 5. The access token stops working (here: replaced by one the server never issued) while the
// refresh token is good: on the 401 the SDK refreshes (the server rotates the refresh token)
// and goes on, without a sign-in.
const before = store.tokens?.refresh_token;
if (store.tokens) store.tokens = { ...store.tokens, access_token: "smcp_at_" + "A".repeat(43) };
const refreshed = newClient();
const refreshedTransport = newTransport();
await step("reconnect with a bad access token", async () => {
  await refreshed.connect(refreshedTransport);
  const r = await refreshed.callTool({ name: "get_profile", arguments: {} });
  return {
    id: r.structuredContent?.id,
    signIns: out.signIns,
    refreshRotated: !!store.tokens?.refresh_token && store.tokens.refresh_token !== before,
    accessReplaced: store.tokens?.access_token !== "smcp_at_" + "A".repeat(43),
  };
});
await refreshed.close().catch(() => {});

out.cookieOrigins = [...browser.cookies.keys()];
console.log(JSON.stringify(out));
process.exit(0);
