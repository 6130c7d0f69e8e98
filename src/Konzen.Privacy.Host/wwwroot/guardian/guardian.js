// The guardian page (S8.1). The guardian's message links here with the minor's account id and the code in the
// fragment, which browsers never send to a server. The page verifies through the API and keeps the guardian's
// token in this closure only: no cookie, no storage, nothing that outlives the page. It shows nothing about the
// minor beyond what the guardian endpoints answer (the purposes and the choices).
(() => {
  'use strict';
  const TEXT = {
    en: {
      brand: 'Konzen Privacy', heading: "Guardian's choices", policy: 'Privacy policy',
      lead: "Someone under 18 named you as their parent or guardian. Enter the code from your message to confirm it; then choose, purpose by purpose, what may happen with the account holder's information.",
      noAccount: 'Open the link in the message you received: it names the account this code is for.',
      codeLabel: 'Verification code (6 digits)', verify: 'Confirm', checking: 'Checking the code…',
      choicesTitle: "What may happen with the account holder's information",
      memory: 'Keep this page open while you choose: nothing is stored in this browser, and the code works only once.',
      optionalTitle: 'Your choice', necessaryTitle: 'Always on: needed for the service or by law', excludedTitle: 'Not offered to anyone under 18',
      allow: 'Allow', deny: 'Do not allow', withdraw: 'Withdraw consent', allowed: 'Allowed', notAllowed: 'Not allowed',
      necessary: 'Needed for the service', legal: 'Required by law', notOffered: 'Not offered: the policy does not allow it for anyone under 18, whoever consents.',
      savedAllow: 'Saved: “{name}” is now allowed.', savedDeny: 'Saved: “{name}” is not allowed.', receipt: 'Receipt',
      verified: 'Thank you: you are confirmed as the guardian, and the account is approved for the services it needs.',
      'invalid-code': 'The code was not accepted.', 'code-expired': 'The code has expired.', 'too-many-attempts': 'Too many wrong codes.',
      'invalid-input': 'Enter the six digits from your message.', 'minor-restricted': 'This purpose is not available to anyone under 18.',
      unauthorized: 'Your access has ended (the account holder may have turned 18). Nothing was changed.',
      network: 'The service could not be reached. Nothing was changed; try again.', failed: 'The request was refused. Nothing was changed.',
      returnLead: 'Already confirmed? Enter the access key this page gave you.', keyLabel: 'Access key', open: 'Open',
      keyTitle: 'Coming back later',
      keyHelp: 'To change or withdraw a choice later, keep this access key somewhere safe and enter it on this page. It works only for this account, and stops working when the account holder turns 18. This browser does not keep it.',
      'bad-key': 'That access key does not work.', 'bad-key-more': 'Check it for typing mistakes. It stops working when the account holder turns 18.',
      'invalid-code-more': 'Check the code in your message and enter it again.',
      'code-expired-more': 'Ask the account holder to name you again: a new message with a new code will be sent.',
      'too-many-attempts-more': 'This code no longer works. Ask the account holder to name you again: a new message with a new code will be sent.'
    },
    'zh-CN': {
      brand: 'Konzen 隐私', heading: '监护人的选择', policy: '隐私政策',
      lead: '一名未满 18 周岁的用户将您指定为其父母或监护人。请输入消息中的验证码进行确认，然后逐项选择账户持有人的信息可以用于哪些目的。',
      noAccount: '请打开您收到的消息中的链接：该链接指明了此验证码对应的账户。',
      codeLabel: '验证码（6 位数字）', verify: '确认', checking: '正在核对验证码…',
      choicesTitle: '账户持有人的信息可以用于哪些目的',
      memory: '请在做出选择期间保持本页面打开：本浏览器不保存任何内容，验证码只能使用一次。',
      optionalTitle: '由您选择', necessaryTitle: '始终开启：提供服务或法律所必需', excludedTitle: '不向未满 18 周岁的用户提供',
      allow: '允许', deny: '不允许', withdraw: '撤回同意', allowed: '已允许', notAllowed: '未允许',
      necessary: '提供服务所必需', legal: '法律要求', notOffered: '不提供：无论谁同意，本政策都不允许对未满 18 周岁的用户开启此目的。',
      savedAllow: '已保存：现已允许“{name}”。', savedDeny: '已保存：现不允许“{name}”。', receipt: '回执',
      verified: '谢谢：您已被确认为监护人，该账户已获准使用其所需的服务。',
      'invalid-code': '验证码未被接受。', 'code-expired': '验证码已过期。', 'too-many-attempts': '错误次数过多。',
      'invalid-input': '请输入消息中的 6 位数字。', 'minor-restricted': '此目的不向未满 18 周岁的用户提供。',
      unauthorized: '您的访问权限已结束（账户持有人可能已年满 18 周岁）。未做任何更改。',
      network: '无法连接服务。未做任何更改，请重试。', failed: '请求被拒绝。未做任何更改。',
      returnLead: 'Already confirmed? Enter the access key this page gave you.', keyLabel: 'Access key', open: 'Open',
      keyTitle: 'Coming back later',
      keyHelp: 'To change or withdraw a choice later, keep this access key somewhere safe and enter it on this page. It works only for this account, and stops working when the account holder turns 18. This browser does not keep it.',
      'bad-key': 'That access key does not work.', 'bad-key-more': 'Check it for typing mistakes. It stops working when the account holder turns 18.',
      returnLead: '已经确认过？请输入本页面曾给您的访问密钥。', keyLabel: '访问密钥', open: '打开',
      keyTitle: '以后再来',
      keyHelp: '如需以后更改或撤回选择，请妥善保管此访问密钥，并在本页面输入。它仅适用于此账户，并在账户持有人年满 18 周岁时失效。本浏览器不会保存它。',
      'bad-key': '此访问密钥无效。', 'bad-key-more': '请检查是否输入有误。账户持有人年满 18 周岁后，访问密钥即失效。',
      'invalid-code-more': '请核对消息中的验证码后重新输入。',
      'code-expired-more': '请让账户持有人重新指定您：系统将发送一条带有新验证码的新消息。',
      'too-many-attempts-more': '此验证码已失效。请让账户持有人重新指定您：系统将发送一条带有新验证码的新消息。'
    }
  };

  const query = new URLSearchParams(location.search).get('lang');
  let lang = /^zh/i.test(query || navigator.language || '') ? 'zh-CN' : 'en';
  const t = key => TEXT[lang][key] || TEXT.en[key] || key;
  const $ = id => document.getElementById(id);

  // Read the fragment once and drop it from the address bar and history: the code is not left behind.
  const fragment = new URLSearchParams(location.hash.slice(1));
  const hex = (fragment.get('minor') || '').toLowerCase();
  const minorId = /^[0-9a-f]{32}$/.test(hex)
    ? [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-') : null;
  const linkCode = /^\d{6}$/.test(fragment.get('code') || '') ? fragment.get('code') : null;
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);

  let token = null, policy = null, purposes = null, problem = null, result = null, busy = false;

  // Same-origin calls without cookies: a minor's session in this browser must never stand in for the guardian.
  async function call(method, url, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      return { ok: false, status: 0, json: null };
    }
    let json = null;
    try { json = await response.json(); } catch (e) { /* no body */ }
    return { ok: response.ok, status: response.status, json };
  }

  // A refusal as the page shows it: a sentence in the page's language for the problem type, and in English the
  // API's own detail, which says more (attempts left).
  function refusal(answer) {
    if (answer.status === 0) return { key: 'network' };
    if (answer.status === 401) return { key: 'unauthorized' };
    const type = answer.json && typeof answer.json.type === 'string' ? answer.json.type.replace('urn:konzen:problem:', '') : '';
    return { key: TEXT.en[type] ? type : 'failed', detail: answer.json && answer.json.detail };
  }

  function showProblem() {
    const box = $('problem');
    box.textContent = '';
    box.hidden = !problem;
    if (!problem) return;
    box.append(el('strong', {}, t(problem.key)), ' ');
    const more = lang === 'en' && problem.detail ? problem.detail : TEXT[lang][problem.key + '-more'];
    if (more) box.append(el('span', lang === 'en' && problem.detail ? { lang: 'en' } : {}, more));
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const described = key => policy && policy.purposes.find(p => p.key === key);
  const nameOf = (key, fallback) => { const p = described(key); return p ? p.name[lang] || p.name.en : fallback || key; };

  function purposeText(li, key, fallback) {
    const p = described(key);
    li.append(el('strong', {}, nameOf(key, fallback)));
    if (p) li.append(el('small', {}, p.description[lang] || p.description.en));
  }

  function choiceButton(label, pressed, purpose, granted, name) {
    const b = el('button', { type: 'button', class: 'choice' }, label);
    if (pressed !== null) b.setAttribute('aria-pressed', String(pressed));
    if (name) b.setAttribute('aria-label', name);
    b.disabled = busy;
    b.addEventListener('click', () => choose(purpose, granted));
    return b;
  }

  function renderChoices() {
    const optional = $('optional'), necessary = $('necessary'), excluded = $('excluded');
    optional.textContent = necessary.textContent = excluded.textContent = '';
    (purposes || []).forEach(p => {
      const li = el('li', { 'data-purpose': p.purpose });
      purposeText(li, p.purpose, p.name);
      if (!p.offered) {
        li.append(el('small', {}, t('notOffered')));
        excluded.append(li);
        return;
      }
      li.append(el('span', { class: 'state' }, p.granted ? t('allowed') : t('notAllowed')));
      const name = nameOf(p.purpose, p.name);
      const row = el('div', { class: 'row', role: 'group', 'aria-label': name });
      row.append(choiceButton(t('allow'), p.granted, p.purpose, true), choiceButton(t('deny'), !p.granted, p.purpose, false));
      if (p.granted) row.append(choiceButton(t('withdraw'), null, p.purpose, false, t('withdraw') + ': ' + name));
      li.append(row);
      optional.append(li);
    });
    (policy ? policy.purposes.filter(p => !p.optional) : []).forEach(p => {
      const li = el('li', { 'data-purpose': p.key });
      purposeText(li, p.key);
      li.append(el('span', { class: 'state' }, p.basis === 'legal-obligation' ? t('legal') : t('necessary')));
      necessary.append(li);
    });
    $('excluded').previousElementSibling.hidden = !excluded.children.length;
    const status = $('result');
    status.textContent = '';
    if (result) {
      status.append(result.verified ? t('verified') : t(result.granted ? 'savedAllow' : 'savedDeny').replace('{name}', nameOf(result.purpose)));
      if (result.receiptId) status.append(' ', el('small', {}, t('receipt') + ' ' + result.receiptId));
    }
  }

  function render() {
    document.documentElement.lang = lang;
    document.title = t('heading') + ' · ' + t('brand');
    document.querySelectorAll('[data-t]').forEach(e => { e.textContent = t(e.getAttribute('data-t')); });
    $('policy-link').href = lang === 'zh-CN' ? '/policy?lang=zh-CN' : '/policy';
    $('no-account').hidden = !!minorId || !!token;
    $('verify').hidden = !minorId || !!token;
    $('return').hidden = !!token;
    $('access-key').value = token || '';
    $('code').disabled = $('verify').querySelector('button').disabled = $('return').querySelector('button').disabled = busy;
    $('choices').hidden = !token;
    showProblem();
    if (token) renderChoices();
  }

  async function load() {
    const answer = await call('GET', '/api/v1/guardian/consents');
    if (answer.ok) purposes = answer.json; else problem = refusal(answer);
  }

  async function verify(code) {
    busy = true;
    problem = null;
    render();
    const answer = await call('POST', '/api/v1/guardian/verify', { minorId, code });
    if (answer.ok && answer.json && answer.json.token) {
      token = answer.json.token;
      result = { verified: true };
      await load();
    } else {
      problem = refusal(answer);
    }
    busy = false;
    render();
    if (!token) $('code').focus();
  }

  // Each change goes through the API; the page then shows the server's list, not what it hoped for.
  async function choose(purpose, granted) {
    busy = true;
    problem = null;
    render();
    const answer = await call('PUT', '/api/v1/guardian/consents/' + encodeURIComponent(purpose), { granted });
    if (answer.ok) {
      result = { purpose, granted: answer.json.granted, receiptId: answer.json.receiptId };
    } else {
      problem = refusal(answer);
      result = null;
    }
    // A refused token (the account holder turned 18) is dropped: the page offers nothing it cannot do.
    if (answer.status === 401) token = purposes = null; else await load();
    busy = false;
    render();
    // The list was drawn again: keep the keyboard where it was, on the purpose's chosen answer.
    const again = document.querySelector(`#optional li[data-purpose="${CSS.escape(purpose)}"] [aria-pressed="true"]`);
    if (again) again.focus();
  }

  // A returning guardian: the key is the token itself, checked by the first call made with it.
  $('return').addEventListener('submit', async e => {
    e.preventDefault();
    const key = $('key').value.trim();
    $('key').value = '';
    busy = true;
    problem = result = null;
    render();
    if (/^[0-9a-f]{32}\.[A-Za-z0-9_-]{1,64}$/.test(key)) {
      token = key;
      await load();
      if (problem) token = purposes = null;
      if (problem && problem.key === 'unauthorized') problem = { key: 'bad-key' };
    } else {
      problem = { key: 'bad-key' };
    }
    busy = false;
    render();
    if (!token) $('key').focus();
  });
  $('verify').addEventListener('submit', e => {
    e.preventDefault();
    const code = $('code').value.trim();
    if (!/^\d{6}$/.test(code)) {
      problem = { key: 'invalid-input' };
      render();
      $('code').focus();
      return;
    }
    $('code').value = '';
    verify(code);
  });
  document.querySelectorAll('button.lang').forEach(b => b.addEventListener('click', () => {
    lang = b.getAttribute('data-lang');
    history.replaceState(null, '', lang === 'zh-CN' ? '?lang=zh-CN' : location.pathname);
    render();
  }));

  call('GET', '/api/v1/policy').then(answer => {
    if (answer.ok) policy = answer.json;
    render();
  });
  render();
  if (minorId && linkCode) verify(linkCode);
})();
