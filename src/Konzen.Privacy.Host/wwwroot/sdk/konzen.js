/*
 * Konzen client SDK: the consent banner, the event sender and the location sender.
 * Plain JavaScript, no build step, no dependencies: <script src="/sdk/konzen.js" data-lang="zh-CN"></script>
 * Nothing is written to cookies or storage before the visitor chooses: the server sets the visitor
 * cookie in its answer to the choice, and events wait in memory until then.
 */
(function (window, document) {
  'use strict';
  var CONSENTS = '/api/v1/visitor/consents', EVENTS = '/api/v1/events', LOCATIONS = '/api/v1/me/locations';
  var QUEUE = 'konzen.queue', POINTS = 'konzen.points';
  // The purposes an event can name, as the events API takes them, and the policy purpose each one is.
  var PURPOSES = { security: null, analytics: 'analytics.reporting', personalization: 'personalize', advertising: 'marketing.advertising.profiling' };
  var TEXT = {
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
  var script = document.currentScript, options = { lang: script && script.getAttribute('data-lang'), flushMs: 1000, batch: 50 };
  var state = null, pending = null, queue = [], timer = 0, sending = false, root = null, returnFocus = null;
  var watch = null, lastFix = null, readyResolve, ready = new Promise(function (r) { readyResolve = r; });

  function lang() {
    var l = options.lang || document.documentElement.lang || 'en';
    return l.toLowerCase().indexOf('zh') === 0 ? 'zh-CN' : 'en';
  }
  function t(key) { return TEXT[lang()][key]; }
  function local(text) { return text[lang()] || text.en; }
  function gpcOn() { return navigator.globalPrivacyControl === true || !!(state && state.gpc); }
  function chosen() { return !!(state && state.chosen); }

  // Security events are necessary and always go; the others only once the visitor allowed their purpose.
  function allowed(purpose) {
    if (purpose === 'security') return true;
    if (!chosen()) return false;
    return state.purposes.some(function (p) { return p.purpose === PURPOSES[purpose] && p.granted && !(p.gpcRefuses && gpcOn()); });
  }

  function storage(key, value) {
    // Never before a choice: the banner must not leave anything behind on a visitor who ignores it.
    if (!chosen()) return;
    try {
      if (value && value.length) localStorage.setItem(key, JSON.stringify(value));
      else if (localStorage.getItem(key) !== null) localStorage.removeItem(key);
    } catch (e) { /* storage full or disabled: the events stay in memory */ }
  }
  function stored(key) {
    try { return JSON.parse(localStorage.getItem(key) || '[]'); } catch (e) { return []; }
  }

  // Drops every queued event whose purpose is no longer allowed, in memory and in storage alike.
  function purge() {
    queue = queue.filter(function (e) { return allowed(e.purpose); });
    var kept = stored(QUEUE).filter(function (e) { return allowed(e.purpose); });
    storage(QUEUE, kept);
  }

  function track(type, purpose, fields) {
    if (!(purpose in PURPOSES)) throw new Error('Unknown purpose: ' + purpose);
    if (!allowed(purpose)) return false;
    var event = { type: type, purpose: purpose, at: new Date().toISOString(), page: location.pathname };
    if (fields && fields.target) event.target = String(fields.target);
    if (fields && fields.data) event.data = fields.data;
    queue.push(event);
    if (queue.length >= options.batch) flush(); else schedule();
    return true;
  }

  function schedule() { if (!timer) timer = setTimeout(flush, options.flushMs); }

  function flush(leaving) {
    clearTimeout(timer);
    timer = 0;
    if (!queue.length || sending) return;
    if (navigator.onLine === false) { storage(QUEUE, queue); return; }
    // A request that outlives the page (keepalive) may carry at most 64 KiB.
    var batch = queue.splice(0, leaving ? 100 : 1000);
    sending = true;
    fetch(EVENTS, {
      method: 'POST', credentials: 'same-origin', keepalive: !!leaving,
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ events: batch })
    }).then(function (r) {
      // A 4xx batch would fail again: drop it. A 5xx is the server's trouble: keep the events.
      if (r.status >= 500) throw new Error('server');
    }).then(function () {
      sending = false;
      storage(QUEUE, queue);
      if (queue.length) schedule();
    }, function () {
      sending = false;
      queue = batch.filter(function (e) { return allowed(e.purpose); }).concat(queue);
      storage(QUEUE, queue);
    });
  }

  function request(method, body) {
    return fetch(CONSENTS, {
      method: method, credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) { if (!r.ok) throw new Error('consent ' + r.status); return r.json(); });
  }

  // A complete choice: every optional purpose named, and the GPC signal's purposes refused whatever was picked.
  // A withdrawal holds in this browser at once, even offline: queued events of the purpose are dropped
  // before the server hears of it, and the choice goes to the server when it can. A grant waits for the server.
  function choose(pick) {
    var choices = {};
    state.purposes.forEach(function (p) { choices[p.purpose] = !!pick(p) && !(p.gpcRefuses && gpcOn()); });
    if (chosen()) {
      state.purposes.forEach(function (p) { p.granted = p.granted && choices[p.purpose]; });
      purge();
      pending = choices;
      close();
      document.dispatchEvent(new CustomEvent('konzen:change', { detail: state }));
    }
    return request('PUT', { choices: choices }).then(function (answer) {
      if (pending === choices) pending = null;
      state = answer;
      purge();
      close();
      document.dispatchEvent(new CustomEvent('konzen:change', { detail: answer }));
      flush();
      return answer;
    });
  }

  function retry() {
    if (pending) { var p = pending; choose(function (x) { return p[x.purpose]; }).catch(function () {}); }
    flush();
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function button(label, action, id) {
    var b = el('button', { type: 'button', 'class': 'kz-btn', 'data-action': id }, label);
    b.addEventListener('click', action);
    return b;
  }

  function style() {
    if (document.getElementById('kz-style')) return;
    var s = el('style', { id: 'kz-style' });
    s.textContent = '.kz-dialog{position:fixed;left:1rem;right:1rem;bottom:1rem;max-width:42rem;margin:0 auto;box-sizing:border-box;' +
      'background:#fff;color:#111;border:1px solid #777;border-radius:8px;padding:1rem 1.25rem;box-shadow:0 4px 24px rgba(0,0,0,.3);' +
      'font:15px/1.5 system-ui,sans-serif;z-index:2147483647;max-height:90vh;overflow:auto}' +
      '.kz-dialog h2{font-size:1.1rem;margin:0 0 .5rem}.kz-dialog p{margin:.25rem 0}' +
      '.kz-row{display:flex;gap:.75rem;margin-top:1rem}' +
      '.kz-btn{flex:1 1 0;padding:.6rem .5rem;font:inherit;font-weight:600;border:2px solid #1d4ed8;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}' +
      '.kz-btn:focus-visible,.kz-purpose input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}' +
      '.kz-purpose{display:flex;gap:.75rem;align-items:flex-start;padding:.5rem 0;border-top:1px solid #ddd}' +
      '.kz-purpose input{width:1.25rem;height:1.25rem;margin-top:.2rem}.kz-purpose small{display:block;color:#444}' +
      '@media (max-width:30rem){.kz-row{flex-direction:column}}';
    document.head.appendChild(s);
  }

  function dialog(titleText) {
    close();
    style();
    returnFocus = document.activeElement;
    root = el('div', { 'class': 'kz-dialog', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'kz-title', 'aria-describedby': 'kz-intro', lang: lang() });
    root.appendChild(el('h2', { id: 'kz-title' }, titleText));
    root.appendChild(el('p', { id: 'kz-intro' }, t('intro')));
    root.addEventListener('keydown', keys);
    return root;
  }

  function show(rows) {
    var row = el('div', { 'class': 'kz-row' });
    rows.forEach(function (b) { row.appendChild(b); });
    root.appendChild(row);
    document.body.appendChild(root);
    root.querySelector('button,input:not([disabled])').focus();
  }

  // A failed choice (offline, say) leaves the dialog open to try again; nothing was recorded.
  function all(value) { return function () { choose(function () { return value; }).catch(function () {}); }; }

  function banner() {
    dialog(t('title'));
    root.id = 'konzen-banner';
    show([button(t('accept'), all(true), 'accept'), button(t('reject'), all(false), 'reject'), button(t('choose'), openChoices, 'choose')]);
  }

  function openChoices() {
    return ready.then(function () {
      dialog(t('choices'));
      root.id = 'konzen-choices';
      root.appendChild(el('p', { 'class': 'kz-security' }, t('security')));
      state.purposes.forEach(function (p) {
        var blocked = p.gpcRefuses && gpcOn(), id = 'kz-' + p.purpose.replace(/\W/g, '-');
        var label = el('label', { 'class': 'kz-purpose', 'for': id });
        var input = el('input', { type: 'checkbox', role: 'switch', id: id, 'data-purpose': p.purpose });
        input.checked = p.granted && !blocked;
        input.disabled = blocked;
        var text = el('span');
        text.appendChild(el('strong', {}, local(p.name)));
        text.appendChild(el('small', {}, local(p.description)));
        if (blocked) text.appendChild(el('small', { 'class': 'kz-gpc' }, t('gpc')));
        label.appendChild(input);
        label.appendChild(text);
        root.appendChild(label);
      });
      var save = function () {
        choose(function (p) { var i = root.querySelector('input[data-purpose="' + p.purpose + '"]'); return i && i.checked; }).catch(function () {});
      };
      show([button(t('accept'), all(true), 'accept'), button(t('reject'), all(false), 'reject'), button(t('save'), save, 'save')]);
    });
  }

  function close() {
    if (!root) return;
    root.remove();
    root = null;
    if (returnFocus && returnFocus.focus) returnFocus.focus();
  }

  // Keyboard: Tab stays inside the dialog; Escape leaves the choices panel (the banner stays until a choice).
  function keys(e) {
    if (e.key === 'Escape' && chosen()) { close(); return; }
    if (e.key !== 'Tab') return;
    var f = root.querySelectorAll('button,input:not([disabled])'), first = f[0], last = f[f.length - 1];
    if (e.shiftKey && document.activeElement === first) { last.focus(); e.preventDefault(); }
    else if (!e.shiftKey && document.activeElement === last) { first.focus(); e.preventDefault(); }
  }

  function setLanguage(l) {
    options.lang = l;
    if (!root) return;
    if (root.id === 'konzen-banner') banner(); else openChoices();
  }

  // The account is gone (or the visitor asked to forget): nothing of it stays in this browser's storage.
  function forget() {
    queue = [];
    stopPositioning();
    try { localStorage.removeItem(QUEUE); localStorage.removeItem(POINTS); } catch (e) { /* nothing stored */ }
  }

  // Location: only for a signed-in subject who consented to location-based services, and only while on.
  function report(fix, on) {
    var c = fix ? fix.coords : { latitude: 0, longitude: 0, accuracy: 0 };
    return {
      latitude: c.latitude, longitude: c.longitude, accuracy: Math.min(c.accuracy, 100000),
      source: c.accuracy <= 100 ? 'gps' : 'wifi', positioning: on ? 'on' : 'off', time: new Date(fix ? fix.timestamp : Date.now()).toISOString()
    };
  }
  function postPoint(body) {
    return fetch(LOCATIONS, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }
  function sendFix(fix) {
    lastFix = fix;
    var points = stored(POINTS).concat([report(fix, true)]);
    try { localStorage.removeItem(POINTS); } catch (e) { /* nothing stored */ }
    points.forEach(function (p) {
      postPoint(p).catch(function () {
        // Offline: keep the point in this device's cache until it can go, or until positioning turns off.
        if (watch === null) return;
        try { localStorage.setItem(POINTS, JSON.stringify(stored(POINTS).concat([p]))); } catch (e) { /* dropped */ }
      });
    });
  }
  function stopPositioning() {
    if (watch !== null && navigator.geolocation) navigator.geolocation.clearWatch(watch);
    watch = null;
    try { localStorage.removeItem(POINTS); } catch (e) { /* nothing stored */ }
  }
  function positioning(on) {
    if (!on) {
      // One "off" report tells the server to refuse further points (S1.4), whatever this page knew.
      stopPositioning();
      return postPoint(report(lastFix, false)).then(function () { return false; }, function () { return false; });
    }
    if (watch !== null) return Promise.resolve(true);
    if (!navigator.geolocation) return Promise.resolve(false);
    return fetch('/api/v1/me/consents', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (list) {
        var consented = list.some(function (c) { return c.purpose === 'functional.location' && c.granted; });
        if (consented && watch === null) watch = navigator.geolocation.watchPosition(sendFix, function () {}, { enableHighAccuracy: true, maximumAge: 60000 });
        return consented;
      }, function () { return false; });
  }

  function start() {
    request('GET').then(function (answer) {
      state = answer;
      if (chosen()) {
        // Events left from an earlier visit: only those whose purpose is still allowed go.
        queue = stored(QUEUE).filter(function (e) { return allowed(e.purpose); }).concat(queue);
        storage(QUEUE, queue);
        if (queue.length) schedule();
      } else {
        banner();
      }
      readyResolve(answer);
    }, function () { readyResolve(null); });
    window.addEventListener('online', retry);
    window.addEventListener('pagehide', function () { flush(true); });
    document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden') flush(true); });
  }

  window.Konzen = {
    track: track, flush: function () { flush(); }, openChoices: openChoices, forget: forget, positioning: positioning,
    setLanguage: setLanguage, ready: ready,
    consents: function () { return state; }, allowed: allowed, gpc: gpcOn, queued: function () { return queue.slice(); }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})(window, document);
