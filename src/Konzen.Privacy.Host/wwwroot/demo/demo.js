// The Konzen domain search, as a page of the site would use the SDK: every action sends log events
// naming the purpose they serve, and the SDK sends only those the visitor allowed.
(function () {
  'use strict';
  var TEXT = {
    en: {
      brand: 'Konzen domains', heading: 'Find your domain', label: 'Domain name', search: 'Search',
      lead: 'This demo uses the Konzen client SDK: the banner asks before anything optional is collected, and every search and click sends log events tagged with the purpose they serve.',
      status: 'What the SDK may send', choices: 'Privacy choices', policy: 'Privacy policy',
      available: 'Available', taken: 'Taken', pick: 'Select', picked: 'Selected: ', yes: 'allowed', no: 'not allowed',
      security: 'security', analytics: 'analytics', personalization: 'personalization', advertising: 'advertising'
    },
    'zh-CN': {
      brand: 'Konzen 域名', heading: '查找您的域名', label: '域名', search: '搜索',
      lead: '本演示使用 Konzen 客户端 SDK：在收集任何可选信息之前，横幅会先征求您的同意；每次搜索和点击发送的日志事件都标明其目的。',
      status: 'SDK 可以发送的内容', choices: '隐私选择', policy: '隐私政策',
      available: '可注册', taken: '已被注册', pick: '选择', picked: '已选择：', yes: '允许', no: '不允许',
      security: '安全防范', analytics: '使用情况分析', personalization: '个性化', advertising: '个性化广告'
    }
  };
  var TLDS = ['.com', '.cn', '.com.cn', '.net', '.org', '.io'];
  var lang = /^zh/i.test(new URLSearchParams(location.search).get('lang') || document.documentElement.lang) ? 'zh-CN' : 'en';

  function t(key) { return TEXT[lang][key]; }

  function render() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-t]').forEach(function (e) { e.textContent = t(e.getAttribute('data-t')); });
    document.getElementById('policy-link').href = lang === 'zh-CN' ? '/policy?lang=zh-CN' : '/policy';
    var status = document.getElementById('status');
    status.textContent = '';
    ['security', 'analytics', 'personalization', 'advertising'].forEach(function (purpose) {
      var li = document.createElement('li');
      li.setAttribute('data-purpose', purpose);
      li.textContent = t(purpose) + ': ' + (Konzen.allowed(purpose) ? t('yes') : t('no'));
      status.appendChild(li);
    });
  }

  // Client-side availability: a stable answer per name, enough to show the flow.
  function available(domain) {
    var h = 0;
    for (var i = 0; i < domain.length; i++) h = (h * 31 + domain.charCodeAt(i)) >>> 0;
    return h % 3 !== 0;
  }

  function search(name) {
    var results = document.getElementById('results');
    results.textContent = '';
    var base = name.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 40) || 'konzen';
    Konzen.track('search', 'advertising', { data: { query: base } });
    Konzen.track('page-view', 'analytics', { target: 'results' });
    Konzen.track('page-view', 'personalization', { target: 'results' });
    TLDS.forEach(function (tld) {
      var domain = base + tld, free = available(domain);
      var li = document.createElement('li');
      li.className = 'result' + (free ? '' : ' taken');
      var name = document.createElement('span');
      name.textContent = domain + ' — ' + t(free ? 'available' : 'taken');
      li.appendChild(name);
      if (free) {
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = t('pick');
        b.setAttribute('data-domain', domain);
        b.addEventListener('click', function () { pick(domain); });
        li.appendChild(b);
      }
      results.appendChild(li);
    });
  }

  function pick(domain) {
    document.getElementById('picked').textContent = t('picked') + domain;
    Konzen.track('click', 'analytics', { target: domain });
    Konzen.track('click', 'personalization', { target: domain });
    Konzen.track('click', 'advertising', { target: domain });
    Konzen.track('click', 'security', { target: 'select' });
  }

  document.getElementById('search').addEventListener('submit', function (e) {
    e.preventDefault();
    search(document.getElementById('q').value);
  });
  document.getElementById('privacy-choices').addEventListener('click', function (e) {
    e.preventDefault();
    Konzen.openChoices();
  });
  document.querySelectorAll('button.lang').forEach(function (b) {
    b.addEventListener('click', function () {
      lang = b.getAttribute('data-lang');
      history.replaceState(null, '', lang === 'zh-CN' ? '?lang=zh-CN' : location.pathname);
      Konzen.setLanguage(lang);
      render();
    });
  });
  document.addEventListener('konzen:change', function () {
    render();
    Konzen.track('page-view', 'analytics', { target: 'demo' });
  });

  render();
  Konzen.setLanguage(lang);
  Konzen.track('device', 'security', { data: { viewport: innerWidth + 'x' + innerHeight } });
  Konzen.ready.then(function () {
    render();
    Konzen.track('page-view', 'analytics', { target: 'demo' });
  });
})();
