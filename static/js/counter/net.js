// Talking to the API from a page that must go on working on a weak link (the counter, the
// stocktake). Every POST has a time limit and says plainly what became of it:
//   {ok, json}                          done (2xx), with the server's own figures;
//   {refused, message, status, fields}  refused (4xx; a stale CSRF token is renewed and
//                                       the request tried once more first): not done, the
//                                       server's words to show;
//   {lost, status}                      no answer, signed out, busy or failed: not known,
//                                       send again (with the same client id).

export function withTimeout(ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return { signal: controller.signal, done: () => clearTimeout(timer) };
}

// An API error's code, its words (the message and each field's, once each) and its fields.
export async function refusal(response) {
  try {
    const answer = await response.json();
    const fields = Object.values(answer.fields || {}).flat();
    return {
      code: answer.error,
      message: [...new Set([answer.message, ...fields].filter(Boolean))].join(" "),
      fields: answer.fields || {},
    };
  } catch (error) { return { code: null, message: String(response.status), fields: {} }; }
}

// ``onOnline()`` when the server answered; ``onSignedOut()`` when it said this device is
// no longer signed in (401).
export function createApi({ csrfUrl, csrfToken, timeoutMs = 5000, onOnline = () => {}, onSignedOut = () => {} }) {
  let token = csrfToken;

  async function freshToken() {
    const timeout = withTimeout(4000);
    try {
      const response = await fetch(csrfUrl, { credentials: "same-origin", signal: timeout.signal });
      if (response.ok) { token = (await response.json()).csrf_token; return true; }
    } catch (error) { /* no link */ } finally { timeout.done(); }
    return false;
  }

  async function post(url, body, { ms = timeoutMs, retried = false } = {}) {
    const timeout = withTimeout(ms);
    let response;
    try {
      response = await fetch(url, {
        method: "POST", credentials: "same-origin", signal: timeout.signal,
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (error) {
      return { lost: true };
    } finally { timeout.done(); }
    if (response.ok) { onOnline(); return { ok: true, json: await response.json() }; }
    if (response.status === 401) { onSignedOut(); return { lost: true, status: 401 }; }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return { lost: true, status: response.status };
    }
    const answer = await refusal(response);
    if (answer.code === "csrf") {
      if (!retried && await freshToken()) { return post(url, body, { ms, retried: true }); }
      return { lost: true, status: response.status };
    }
    onOnline();
    return { refused: true, message: answer.message, status: response.status, fields: answer.fields };
  }

  // GET JSON: {ok, json}, or {lost, status} when there is no answer or no good one.
  async function getJson(url, ms = 4000) {
    const timeout = withTimeout(ms);
    try {
      const response = await fetch(url, { credentials: "same-origin", signal: timeout.signal, cache: "no-store", headers: { Accept: "application/json" } });
      if (response.status === 401) { onSignedOut(); return { lost: true, status: 401 }; }
      if (!response.ok) { return { lost: true, status: response.status }; }
      return { ok: true, json: await response.json() };
    } catch (error) {
      return { lost: true };
    } finally { timeout.done(); }
  }

  return { post, getJson, freshToken };
}
