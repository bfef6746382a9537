import Hummingbird

/// `GET /`: one self-contained page (no external assets) that chats through this server's own API: streaming
/// output, a model/adapter picker filled from `/v1/models`, temperature, max tokens and an API key field.
/// `/?autosend=TEXT` sends TEXT as soon as the models are listed (for a headless browser check).
enum ChatPage {
    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>SwiftTune chat</title>
    <style>
      body { font-family: system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; background: #f6f6f4; }
      header { display: flex; flex-wrap: wrap; gap: .8em; align-items: center; padding: .6em 1em; background: #20232a; color: #eee; }
      header label { font-size: .85em; } header input, header select { margin-left: .3em; }
      #log { flex: 1; overflow-y: auto; padding: 1em; }
      .msg { max-width: 46em; margin: .4em 0; padding: .55em .8em; border-radius: .5em; white-space: pre-wrap; }
      .user { background: #dbe8ff; margin-left: auto; } .assistant { background: #fff; border: 1px solid #ddd; }
      .error { background: #ffe0e0; }
      form { display: flex; gap: .5em; padding: .8em 1em; background: #fff; border-top: 1px solid #ddd; }
      #input { flex: 1; font-size: 1em; padding: .5em; } button { font-size: 1em; }
    </style>
    </head>
    <body>
    <header>
      <strong>SwiftTune</strong>
      <label>Model<select id="model"></select></label>
      <label>Temperature<input id="temperature" type="number" min="0" max="2" step="0.1" value="0.7" style="width:4em"></label>
      <label>Max tokens<input id="max_tokens" type="number" min="1" value="128" style="width:5em"></label>
      <label>API key<input id="key" type="password" style="width:8em"></label>
      <button id="clear" type="button">Clear</button>
    </header>
    <div id="log"></div>
    <form id="form"><input id="input" autocomplete="off" placeholder="Message"><button id="send">Send</button></form>
    <script>
    const $ = id => document.getElementById(id);
    let history = [];
    function headers() {
      const h = { "Content-Type": "application/json" };
      if ($("key").value) h["Authorization"] = "Bearer " + $("key").value;
      return h;
    }
    function bubble(role, text) {
      const div = document.createElement("div");
      div.className = "msg " + role;
      div.textContent = text;
      $("log").appendChild(div);
      $("log").scrollTop = $("log").scrollHeight;
      return div;
    }
    async function loadModels() {
      const r = await fetch("/v1/models", { headers: headers() });
      const body = await r.json();
      if (!r.ok) { bubble("error", body.error ? body.error.message : r.statusText); return false; }
      $("model").innerHTML = "";
      for (const m of body.data) {
        const o = document.createElement("option");
        o.value = m.id; o.textContent = m.parent ? m.id + " (adapter of " + m.parent + ")" : m.id;
        $("model").appendChild(o);
      }
      return true;
    }
    async function send(text) {
      history.push({ role: "user", content: text });
      bubble("user", text);
      const out = bubble("assistant", "");
      out.dataset.state = "streaming";
      $("send").disabled = true;
      let answer = "";
      try {
        const r = await fetch("/v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify({
          model: $("model").value, messages: history, stream: true,
          temperature: parseFloat($("temperature").value), max_tokens: parseInt($("max_tokens").value, 10) }) });
        if (!r.ok) { const e = await r.json(); throw new Error(e.error ? e.error.message : r.statusText); }
        const reader = r.body.getReader(), decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
            if (!event.startsWith("data: ")) continue;
            const data = event.slice(6);
            if (data === "[DONE]") continue;
            const chunk = JSON.parse(data);
            if (chunk.error) throw new Error(chunk.error.message);
            for (const c of chunk.choices) if (c.delta && c.delta.content) { answer += c.delta.content; out.textContent = answer; }
          }
        }
        history.push({ role: "assistant", content: answer });
        out.dataset.state = "done";
      } catch (e) {
        out.className = "msg error"; out.textContent = String(e.message || e); out.dataset.state = "error";
        history.pop();
      }
      $("send").disabled = false;
    }
    $("form").addEventListener("submit", e => {
      e.preventDefault();
      const text = $("input").value.trim();
      if (!text) return;
      $("input").value = "";
      send(text);
    });
    $("clear").addEventListener("click", () => { history = []; $("log").innerHTML = ""; });
    $("key").addEventListener("change", loadModels);
    loadModels().then(ok => {
      const auto = new URLSearchParams(location.search).get("autosend");
      if (ok && auto) send(auto);
    });
    </script>
    </body>
    </html>
    """#
}
