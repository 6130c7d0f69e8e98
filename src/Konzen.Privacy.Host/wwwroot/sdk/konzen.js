/* Konzen client SDK: consent banner, event and location sender. <script src="/sdk/konzen.js" data-lang="zh-CN">
 * No cookie or storage before a choice: the server's answer to it sets the visitor cookie. */
(() => {
  'use strict';
  const CONSENTS = '/api/v1/visitor/consents', EVENTS = '/api/v1/events', LOCATIONS = '/api/v1/me/locations';
  const QUEUE = 'konzen.queue', POINTS = 'konzen.points';
  const PURPOSES = { security: null, analytics: 'analytics.reporting', personalization: 'personalize', advertising: 'marketing.advertising.profiling' };
  const TEXT = {
    en: {
      title: 'Your privacy choices', choices: 'Choose what we may use',
      intro: 'We use cookies and log events only for the purposes you allow. Security events are always kept, because the service needs them to protect you.',
      accept: 'Accept all', reject: 'Reject all', choose: 'Choose', save: 'Save choices',
      gpc: 'Refused: your browser sends the Global Privacy Control signal.', security: 'Security: always on, necessary for the service.'
    },
    'zh-CN': {
      title: '您的隐私选择', choices: '选择我们可以使用的内容',
      intro: '我们仅为您允许的目的使用 Cookie 和日志事件。安全事件始终保留，因为服务需要它们来保护您。',
      accept: '全部接受', reject: '全部拒绝', choose: '自行选择', save: '保存选择',
      gpc: '已拒绝：您的浏览器发送了全球隐私控制（GPC）信号。', security: '安全防范：始终开启，为提供服务所必需。'
    }
  };
  const script = document.currentScript;
  const options = { lang: script && script.getAttribute('data-lang'), flushMs: 1000, batch: 50 };
  let state = null, pending = null, order = Promise.resolve(), queue = [], timer = 0, sending = false, root = null, back = null;
  let watch = null, lastFix = null, offPending = false, ready;
  const readyPromise = new Promise(r => { ready = r; });

  const lang = () => /^zh/i.test(options.lang || document.documentElement.lang || 'en') ? 'zh-CN' : 'en';
  const t = key => TEXT[lang()][key];
  const gpcOn = () => navigator.globalPrivacyControl === true || !!(state && state.gpc);
  const chosen = () => !!(state && state.chosen);
  const json = (url, method, data, keepalive) => fetch(url, {
    method, keepalive, credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data)
  });

  // Security events are necessary; others need their purpose allowed.
  const allowed = purpose => purpose === 'security' || (chosen() &&
    state.purposes.some(p => p.purpose === PURPOSES[purpose] && p.granted && !(p.gpcRefuses && gpcOn())));

  function save(key, value) {
    if (!chosen()) return; // never before a choice
    try {
      if (value.length) localStorage.setItem(key, JSON.stringify(value));
      else if (localStorage.getItem(key) !== null) localStorage.removeItem(key);
    } catch (e) { /* full or disabled: kept in memory */ }
  }
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || '[]'); } catch (e) { return []; }
  }
  // Drops queued events of purposes no longer allowed, in memory and storage (S2.1).
  function purge() {
    queue = queue.filter(e => allowed(e.purpose));
    save(QUEUE, load(QUEUE).filter(e => allowed(e.purpose)));
  }

  function track(type, purpose, fields = {}) {
    if (!(purpose in PURPOSES)) throw new Error('Unknown purpose: ' + purpose);
    if (!allowed(purpose)) return false;
    const event = { type, purpose, at: new Date().toISOString(), page: location.pathname };
    if (fields.target) event.target = String(fields.target);
    if (fields.data) event.data = fields.data;
    queue.push(event);
    if (queue.length >= options.batch) flush(); else if (!timer) timer = setTimeout(flush, options.flushMs);
    return true;
  }

  function flush(leaving) {
    clearTimeout(timer);
    timer = 0;
    if (!queue.length || sending) return;
    if (navigator.onLine === false) return save(QUEUE, queue); // offline: keep them for later
    const batch = queue.splice(0, leaving === true ? 100 : 1000); // keepalive bodies are limited to 64 KiB
    sending = true;
    json(EVENTS, 'POST', { events: batch }, leaving === true).then(r => {
      if (r.status >= 500) throw new Error('server'); // a 4xx batch would fail again: dropped
      sending = false;
      save(QUEUE, queue);
      if (queue.length) flush();
    }).catch(() => {
      sending = false;
      queue = batch.filter(e => allowed(e.purpose)).concat(queue);
      save(QUEUE, queue);
    });
  }

  // A complete choice (GPC's purposes refused). A withdrawal holds here at once, even offline,
  // and reaches the server when it can; a grant waits for the server.
  function choose(pick) {
    const choices = {};
    state.purposes.forEach(p => { choices[p.purpose] = !!pick(p) && !(p.gpcRefuses && gpcOn()); });
    if (chosen()) {
      state.purposes.forEach(p => { p.granted = p.granted && choices[p.purpose]; });
      purge();
      pending = choices;
      close();
      changed();
    }
    // In order: an earlier choice never overtakes a later one.
    const put = order.then(() => json(CONSENTS, 'PUT', { choices }));
    order = put.catch(() => {});
    return put.then(r => {
      if (!r.ok) throw new Error('consent ' + r.status);
      return r.json();
    }).then(answer => {
      if (pending === choices) pending = null;
      state = answer;
      purge();
      close();
      changed();
      flush();
      return answer;
    });
  }
  const changed = () => document.dispatchEvent(new CustomEvent('konzen:change', { detail: state }));
  const all = value => () => choose(() => value).catch(() => {});

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function button(label, action) {
    const b = el('button', { type: 'button', class: 'kz-btn' }, label);
    b.addEventListener('click', action);
    return b;
  }

  // One class for all three: refusing is as easy and visible as accepting.
  const CSS = '.kz-dialog{position:fixed;left:1rem;right:1rem;bottom:1rem;max-width:42rem;margin:auto;background:#fff;color:#111;' +
    'border:1px solid #777;border-radius:8px;padding:1rem;box-shadow:0 4px 24px #0005;font:15px/1.5 system-ui,sans-serif;z-index:2147483647;' +
    'max-height:90vh;overflow:auto}.kz-dialog h2{font-size:1.1rem;margin:0}.kz-row{display:flex;gap:.75rem;margin-top:1rem}' +
    '.kz-btn{flex:1 1 0;padding:.6rem;font:inherit;font-weight:600;border:0;border-radius:6px;background:#1d4ed8;color:#fff}' +
    '.kz-dialog :focus-visible{outline:3px solid #f59e0b}.kz-purpose{display:flex;gap:.75rem;padding:.5rem 0;border-top:1px solid #ddd}' +
    '.kz-purpose small{display:block;color:#444}@media (max-width:30rem){.kz-row{flex-direction:column}}';

  function dialog(id, title, content, buttons) {
    close();
    if (!document.getElementById('kz-style')) document.head.appendChild(el('style', { id: 'kz-style' }, CSS));
    back = document.activeElement;
    root = el('div', { id, class: 'kz-dialog', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'kz-title', 'aria-describedby': 'kz-intro', lang: lang() });
    root.append(el('h2', { id: 'kz-title' }, title), el('p', { id: 'kz-intro' }, t('intro')), ...content);
    const row = el('div', { class: 'kz-row' });
    row.append(...buttons);
    root.append(row);
    root.addEventListener('keydown', keys);
    document.body.append(root);
    root.querySelector('button,input:not([disabled])').focus();
  }

  const banner = () => dialog('konzen-banner', t('title'), [],
    [button(t('accept'), all(true)), button(t('reject'), all(false)), button(t('choose'), openChoices)]);

  function openChoices() {
    return readyPromise.then(() => {
      const local = text => text[lang()] || text.en;
      const rows = state.purposes.map(p => {
        const blocked = p.gpcRefuses && gpcOn(), id = 'kz-' + p.purpose.replace(/\W/g, '-');
        const input = el('input', { type: 'checkbox', role: 'switch', id, 'data-purpose': p.purpose });
        input.checked = p.granted && !blocked;
        input.disabled = blocked;
        const text = el('span');
        text.append(el('strong', {}, local(p.name)), el('small', {}, local(p.description)));
        if (blocked) text.append(el('small', { class: 'kz-gpc' }, t('gpc')));
        const label = el('label', { class: 'kz-purpose', for: id });
        label.append(input, text);
        return label;
      });
      const saveChoices = () => choose(p => root.querySelector(`input[data-purpose="${p.purpose}"]`).checked).catch(() => {});
      dialog('konzen-choices', t('choices'), [el('p', {}, t('security')), ...rows],
        [button(t('accept'), all(true)), button(t('reject'), all(false)), button(t('save'), saveChoices)]);
    });
  }

  function close() {
    if (!root) return;
    root.remove();
    root = null;
    if (back && back.focus) back.focus();
  }

  // Not modal. Escape closes the panel; the banner stays until a choice.
  const keys = e => { if (e.key === 'Escape' && chosen()) close(); };

  function setLanguage(l) {
    options.lang = l;
    if (root) (root.id === 'konzen-banner' ? banner : openChoices)();
  }

  // The account is gone: nothing of it stays in this browser.
  function forget() {
    queue = [];
    stopPositioning();
    try { localStorage.removeItem(QUEUE); } catch (e) { }
  }

  // Location (S1.3, S1.4): for a signed-in subject with location consent, while positioning is on.
  // Browsers do not say GPS or WiFi; a wide radius means WiFi.
  function report(fix, on) {
    const c = fix ? fix.coords : { latitude: 0, longitude: 0, accuracy: 0 };
    return {
      latitude: c.latitude, longitude: c.longitude, accuracy: Math.min(c.accuracy, 100000), source: c.accuracy <= 100 ? 'gps' : 'wifi',
      positioning: on ? 'on' : 'off', time: new Date(fix ? fix.timestamp : Date.now()).toISOString()
    };
  }
  function sendFix(fix) {
    lastFix = fix;
    const points = load(POINTS).concat([report(fix, true)]);
    try { localStorage.removeItem(POINTS); } catch (e) { }
    points.forEach(p => json(LOCATIONS, 'POST', p).catch(() => {
      if (watch !== null) try { localStorage.setItem(POINTS, JSON.stringify(load(POINTS).concat([p]))); } catch (e) { /* dropped */ }
    }));
  }
  function stopPositioning() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    try { localStorage.removeItem(POINTS); } catch (e) { }
  }
  function sendOff() {
    offPending = true;
    return json(LOCATIONS, 'POST', report(lastFix, false)).then(() => { offPending = false; }, () => {});
  }
  function positioning(on) {
    if (!on) {
      stopPositioning(); // one "off" report, sent again once online if it could not go
      return sendOff().then(() => false);
    }
    if (watch !== null) return Promise.resolve(true);
    if (!navigator.geolocation) return Promise.resolve(false);
    return fetch('/api/v1/me/consents', { credentials: 'same-origin' }).then(r => r.ok ? r.json() : []).then(list => {
      const consented = list.some(c => c.purpose === 'functional.location' && c.granted);
      if (consented && watch === null) {
        offPending = false;
        watch = navigator.geolocation.watchPosition(sendFix, () => {}, { enableHighAccuracy: true, maximumAge: 60000 });
      }
      return consented;
    }, () => false);
  }

  function online() {
    if (pending) { const p = pending; choose(x => p[x.purpose]).catch(() => {}); }
    if (offPending) sendOff();
    flush();
  }

  function start() {
    fetch(CONSENTS, { credentials: 'same-origin' }).then(r => r.json()).then(answer => {
      state = answer;
      if (chosen()) {
        queue = load(QUEUE).filter(e => allowed(e.purpose)).concat(queue);
        save(QUEUE, queue);
        flush();
      } else {
        banner();
      }
      ready(answer);
    }, () => ready(null));
    addEventListener('online', online);
    addEventListener('pagehide', () => flush(true));
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flush(true); });
  }

  window.Konzen = {
    track, flush: () => flush(), openChoices, forget, positioning, setLanguage, ready: readyPromise,
    allowed, queued: () => queue.slice()
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
