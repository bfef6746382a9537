// Drives a headless Chromium over the DevTools protocol in real time (Node 20: run with --experimental-websocket):
// opens URL, waits until the chat page shows a finished assistant answer (or an error, or the timeout), prints the
// answer's state and text as JSON, saves a screenshot, and exits 2 unless the user's message and a finished,
// non-empty answer are on the page. Used by Scripts/chat-page-check.sh.
//
// usage: node --experimental-websocket chat-page-driver.mjs WS_ENDPOINT URL SCREENSHOT.png TIMEOUT_MS
import { writeFileSync } from "node:fs";

const [browserWS, url, screenshot, timeoutText] = process.argv.slice(2);
const timeout = Number(timeoutText || 60000);
const socket = new WebSocket(browserWS);
let nextID = 1;
const pending = new Map();
socket.onmessage = event => {
  const message = JSON.parse(event.data);
  if (message.id && pending.has(message.id)) {
    const { resolve, reject } = pending.get(message.id);
    pending.delete(message.id);
    message.error ? reject(new Error(JSON.stringify(message.error))) : resolve(message.result);
  }
};
function send(method, params = {}, sessionId) {
  const id = nextID++;
  socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
function fail(why) { console.error(`chat-page-driver: ${why}`); process.exit(2); }
const sleep = ms => new Promise(r => setTimeout(r, ms));

socket.onopen = async () => {
  try {
    const { targetId } = await send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
    await send("Emulation.setDeviceMetricsOverride", { width: 1000, height: 700, deviceScaleFactor: 1, mobile: false }, sessionId);
    await send("Page.enable", {}, sessionId);
    await send("Page.navigate", { url }, sessionId);
    const probe = `(() => {
      const error = document.querySelector(".msg.error");
      if (error) return JSON.stringify({ state: "error", text: error.textContent });
      const users = [...document.querySelectorAll(".msg.user")].map(e => e.textContent);
      const answer = document.querySelector(".msg.assistant");
      return JSON.stringify({ state: answer ? answer.dataset.state || "" : "none",
                              text: answer ? answer.textContent : "", users });
    })()`;
    const deadline = Date.now() + timeout;
    let seen = { state: "none", text: "" };
    const states = new Set();
    while (Date.now() < deadline) {
      const { result } = await send("Runtime.evaluate", { expression: probe, returnByValue: true }, sessionId);
      seen = JSON.parse(result.value);
      if (seen.text) states.add(seen.state);
      if (seen.state === "done" || seen.state === "error") break;
      await sleep(100);
    }
    seen.statesWithText = [...states];
    const { data } = await send("Page.captureScreenshot", { format: "png" }, sessionId);
    writeFileSync(screenshot, Buffer.from(data, "base64"));
    console.log(JSON.stringify(seen));
    await send("Browser.close").catch(() => {});
    const asked = new URL(url).searchParams.get("autosend");
    if (seen.state === "error") fail(`the page shows an error: ${seen.text}`);
    if (!(seen.users || []).includes(asked)) fail(`the user's message '${asked}' is not in the page`);
    if (seen.state !== "done" || !seen.text.trim()) fail(`no finished streamed answer within ${timeout} ms (state '${seen.state}')`);
    process.exit(0);
  } catch (error) {
    console.error(`chat-page-driver: ${error.message}`);
    process.exit(1);
  }
};
socket.onerror = () => { console.error(`chat-page-driver: cannot connect to ${browserWS}`); process.exit(1); };
