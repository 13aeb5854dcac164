// Palisade HTML report. Vanilla JavaScript, no library, nothing fetched. Every
// string of the report reaches the page through textContent: none is parsed as markup.
(function () {
  'use strict';

  var SEVS = ['critical', 'high', 'medium', 'low', 'info'];
  var RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  var KINDS = ['internet', 'pod', 'namespace', 'identity', 'workload', 'serviceaccount', 'capability', 'secrets', 'node', 'cluster-admin'];
  var KIND_TEXT = {
    internet: 'internet', pod: 'any pod', namespace: 'namespace', identity: 'identity', workload: 'workload',
    serviceaccount: 'service account', capability: 'RBAC capability', secrets: 'secrets', node: 'node', 'cluster-admin': 'cluster-admin'
  };
  var MAX_PANEL_PATHS = 100;
  // A report of more findings starts with its groups folded (but the first ones).
  var FOLD_ABOVE = 1000;

  var data = JSON.parse(document.getElementById('report-data').textContent);
  var F = data.findings || [];
  var R = data.rules || {};
  var N = data.nodes || [];

  function $(id) { return document.getElementById(id); }
  // shown makes invisible and direction-changing characters of the input visible
  // as \uXXXX, so that text from the input cannot hide or reorder what it says.
  var HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
  function plain(s) {
    s = String(s);
    HIDDEN.lastIndex = 0;
    if (!HIDDEN.test(s)) return s;
    return s.replace(HIDDEN, function (c) { return '\\u' + ('000' + c.charCodeAt(0).toString(16)).slice(-4); });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = plain(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function sevBadge(sev) { return el('span', 'sev sev-' + sev, sev); }
  function titleOf(f) { return f.title || (R[f.rule] && R[f.rule].title) || f.rule; }
  function plural(n, noun) { return n.toLocaleString('en') + ' ' + noun + (n === 1 ? '' : 's'); }
  function fact(dl, label, value, cls) {
    if (value === undefined || value === null || value === '') return;
    add(dl, el('dt', null, label));
    add(dl, el('dd', cls || null, value));
  }

  // ---------- header ----------
  function renderHeader() {
    var t = data.tool || {};
    $('tool-version').textContent = plain((t.name || 'palisade') + ' ' + (t.version || ''));
    var v = data.verdict || {};
    var verdict = $('verdict');
    verdict.textContent = plain(v.text || '');
    verdict.classList.add('verdict-' + (v.status || 'pass'));
    $('scanned').textContent = plain((v.scanned || '') + '.');
    $('footer').textContent = 'Written by ' + plain((t.name || 'palisade') + ' ' + (t.version || '')) +
      '. This file is self-contained: it fetches nothing and runs only its own script.';
    var bar = $('severity-bar');
    var by = (data.summary && data.summary.bySeverity) || {};
    var total = 0;
    SEVS.forEach(function (s) { total += by[s] || 0; });
    SEVS.forEach(function (s) {
      if (!by[s]) return;
      var seg = add(bar, el('span', 'seg sev-' + s));
      seg.style.flexGrow = String(by[s]);
      seg.title = by[s] + ' ' + s;
    });
    if (!total) bar.hidden = true;
  }

  // ---------- findings ----------
  var rows = new Array(F.length);
  var hay = null; // lower-cased search text, built on the first search
  var fwOfRule = {};
  var state = { sev: '', rule: '', ns: '', fw: '', text: [], sup: false, control: null, group: 'rule' };

  var rowTemplate = null;

  // buildRow makes a finding's row from a template (cloning is much faster than
  // building each row element by element on a report of thousands of findings);
  // its details are built when it is first opened.
  function buildRow(f, i) {
    if (!rowTemplate) {
      rowTemplate = el('details', 'finding');
      var ts = add(rowTemplate, el('summary'));
      ['sev', 'rule', 'title', 'obj', 'tags', 'loc', 'line'].forEach(function (c) { add(ts, el('span', c)); });
    }
    var d = rowTemplate.cloneNode(true);
    d.dataset.rule = f.rule;
    d.dataset.severity = f.sev;
    d.dataset.namespace = f.ns || '';
    d.dataset.fingerprint = f.fp;
    d.dataset.index = String(i);
    d.id = 'f-' + i;
    var c = d.firstChild.childNodes;
    c[0].className = 'sev sev-' + f.sev;
    c[0].textContent = f.sev;
    c[1].textContent = plain(f.rule);
    c[2].textContent = plain(titleOf(f));
    c[3].textContent = plain(f.obj);
    if (f.ap) add(c[4], el('span', 'tag tag-path', 'attack path'));
    if (f.sup) {
      d.classList.add('suppressed');
      add(c[4], el('span', 'tag tag-sup', 'suppressed'));
    }
    c[5].textContent = plain(f.loc);
    c[6].textContent = plain(f.msg);
    return d;
  }

  function renderFix(box, fix, label) {
    var p = add(box, el('div', 'fix'));
    add(p, el('span', 'fix-label', label));
    add(p, el('span', 'fix-change', fix.change));
    var dl = add(p, el('dl', 'facts'));
    fact(dl, 'Object', fix.obj);
    fact(dl, 'Location', fix.loc, 'code');
    fact(dl, 'Field', fix.path, 'code');
    fact(dl, 'Kind', ['', 'a field or binding subject', 'a NetworkPolicy', 'the Service or Ingress'][fix.cost] || ('cost ' + fix.cost));
    if (fix.cutsAll) fact(dl, 'Effect', 'cuts every path from this entry to this target through the pivot');
    return p;
  }

  function nodeText(i) { var n = N[i]; return n ? n.label : '?'; }

  // renderHops lists the hops of a path, each with its evidence and fix.
  function renderHops(hops, cut) {
    var ol = el('ol', 'hops');
    hops.forEach(function (h, k) {
      var li = add(ol, el('li', 'hop' + (k === cut ? ' hop-cut' : '')));
      var head = add(li, el('div', 'hop-head'));
      add(head, el('span', 'node-chip kind-' + ((N[h.f] || {}).kind || ''), nodeText(h.f)));
      add(head, el('span', 'edge-kind', h.k));
      add(head, el('span', 'node-chip kind-' + ((N[h.t] || {}).kind || ''), nodeText(h.t)));
      add(head, el('span', 'analyzer', 'proved by ' + h.a));
      if (h.e && h.e.length) {
        var ul = add(li, el('ul', 'evidence'));
        h.e.forEach(function (line) { add(ul, el('li', null, line)); });
      }
      if (h.x) {
        var fx = add(li, el('div', 'hop-fix'));
        add(fx, el('span', 'fix-label', k === cut ? 'cut here:' : 'cut by:'));
        add(fx, el('span', null, ' ' + h.x.change + (h.x.path ? ' (' + h.x.path + ')' : '')));
      }
    });
    return ol;
  }

  function renderPath(box, ap) {
    var sec = add(box, el('div', 'evidence-block attack'));
    add(sec, el('h4', null, 'Attack path: ' + nodeText(ap.entry) + ' \u2192 ' + nodeText(ap.target)));
    add(sec, renderHops(ap.hops || [], ap.fix ? ap.fix.hop : -1));
    if (ap.fix) renderFix(sec, ap.fix, 'Cheapest fix (hop ' + (ap.fix.hop + 1) + '):');
    if (ap.alt) add(sec, el('p', 'muted', plural(ap.alt, 'other route') + ' from the entry to the target through the same workload.'));
    if (ap.others && ap.others.length) {
      var det = add(sec, el('details', 'others'));
      add(det, el('summary', null, 'The other routes (' + ap.others.length + ')'));
      ap.others.forEach(function (o) { add(det, renderHops(o, -1)); });
    }
  }

  function fillDetail(d) {
    if (d.dataset.filled) return;
    d.dataset.filled = '1';
    var f = F[+d.dataset.index];
    var r = R[f.rule] || {};
    var b = add(d, el('div', 'body'));
    add(b, el('p', 'msg', f.msg));
    var dl = add(b, el('dl', 'facts'));
    fact(dl, 'Rule', f.rule + ' ' + titleOf(f) + (r.cat ? ' (' + r.cat + ')' : ''));
    fact(dl, 'Object', f.obj);
    fact(dl, 'Container', f.container);
    fact(dl, 'Field', f.path, 'code');
    fact(dl, 'Location', f.loc, 'code');
    if (f.sup) fact(dl, 'Suppressed', f.sup.kind + ': ' + f.sup.reason + (f.sup.expires ? ' (until ' + f.sup.expires + ')' : ''));
    var fw = fwOfRule[f.rule];
    if (fw && fw.length) fact(dl, 'Frameworks', fw.join('; '));
    fact(dl, 'Fingerprint', f.fp, 'code');
    (f.ev || []).forEach(function (ev) {
      var sec = add(b, el('div', 'evidence-block'));
      add(sec, el('h4', null, ev.t));
      var edl = add(sec, el('dl', 'facts'));
      (ev.l || []).forEach(function (l) { fact(edl, l[0], l[1]); });
    });
    if (f.ap) renderPath(b, f.ap);
    var rem = f.rem || r.rem;
    if (rem) {
      var fx = add(b, el('div', 'remedy'));
      add(fx, el('h4', null, 'How to fix'));
      add(fx, el('p', null, rem));
    }
    if (r.why) {
      var why = add(b, el('details', 'why'));
      add(why, el('summary', null, 'Why it matters'));
      add(why, el('p', null, r.why));
    }
  }

  function groupKey(f) {
    switch (state.group) {
      case 'severity': return f.sev;
      case 'namespace': return f.ns || '';
      case 'object': return f.obj + '\u0000' + f.loc.split(':')[0];
      case 'none': return '';
    }
    return f.rule;
  }

  var groups = []; // {key, el, list, count, rows:[index]}

  function groupHead(g) {
    var h = el('h3', 'group-head');
    var b = add(h, el('button', 'group-toggle'));
    b.type = 'button';
    var f = F[g.rows[0]];
    switch (state.group) {
      case 'severity':
        add(b, sevBadge(f.sev));
        break;
      case 'namespace':
        add(b, el('span', 'gname', f.ns ? 'namespace ' + f.ns : 'cluster-scoped or no namespace'));
        break;
      case 'object':
        add(b, sevBadge(g.worst));
        add(b, el('span', 'gname', f.obj));
        add(b, el('span', 'loc', f.loc.split(':')[0]));
        break;
      default:
        add(b, sevBadge(g.worst));
        add(b, el('span', 'rule', f.rule));
        add(b, el('span', 'gname', titleOf(f)));
    }
    g.countEl = add(b, el('span', 'gcount'));
    g.button = b;
    b.addEventListener('click', function () { setOpen(g, !g.open); });
    return h;
  }

  function setOpen(g, open) {
    g.open = open;
    g.el.classList.toggle('collapsed', !open);
    if (g.button) g.button.setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  // openSome opens the first groups (the most severe) while few rows are shown,
  // and every group when the filters leave few findings: a large report starts
  // with its groups folded, so that the browser lays out only what is open.
  function openSome(all) {
    var budget = all ? 400 : 120;
    if (F.length <= FOLD_ABOVE) budget = Infinity;
    var used = 0;
    groups.forEach(function (g, k) {
      var n = g.shown;
      var open = state.group === 'none' || (n > 0 && (used + n <= budget || (k === 0 && n <= 400)));
      if (open) used += n;
      setOpen(g, open);
    });
  }

  function regroup() {
    var byKey = Object.create(null);
    groups = [];
    for (var i = 0; i < F.length; i++) {
      var k = groupKey(F[i]);
      var g = byKey[k];
      if (!g) {
        g = byKey[k] = { key: k, rows: [], worst: F[i].sev };
        groups.push(g);
      }
      g.rows.push(i);
      if (RANK[F[i].sev] > RANK[g.worst]) g.worst = F[i].sev;
    }
    groups.forEach(function (g) {
      g.rows.sort(function (a, b) { return (RANK[F[b].sev] - RANK[F[a].sev]) || (a - b); });
    });
    groups.sort(function (a, b) {
      if (state.group === 'namespace') {
        if (!a.key !== !b.key) return a.key ? -1 : 1;
        return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      }
      return (RANK[b.worst] - RANK[a.worst]) || (b.rows.length - a.rows.length) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    });
    var root = $('findings');
    var frag = document.createDocumentFragment();
    groups.forEach(function (g) {
      g.el = add(frag, el('section', 'group'));
      if (state.group !== 'none') add(g.el, groupHead(g));
      g.list = add(g.el, el('div', 'group-list'));
      g.rows.forEach(function (i) { g.list.appendChild(rows[i]); });
    });
    // Filter and fold before the rows enter the document: the browser then lays
    // out only the open groups.
    var shown = applyFilters();
    if (!(filtering() && shown <= 400)) openSome(false);
    root.className = 'by-' + state.group;
    clear(root);
    root.appendChild(frag);
  }

  function matches(i) {
    var f = F[i];
    if (f.sup && !state.sup) return false;
    if (state.sev && f.sev !== state.sev) return false;
    if (state.rule && f.rule !== state.rule) return false;
    if (state.ns && (state.ns === '-' ? !!f.ns : f.ns !== state.ns)) return false;
    if (state.fw) {
      var r = R[f.rule];
      if (!r || !r.fw || !r.fw[state.fw]) return false;
    }
    if (state.control && !state.control.rules[f.rule]) return false;
    if (state.text.length) {
      var h = hay[i];
      for (var k = 0; k < state.text.length; k++) if (h.indexOf(state.text[k]) < 0) return false;
    }
    return true;
  }

  var wasFiltering = false;

  function filtering() {
    return !!(state.sev || state.rule || state.ns || state.fw || state.control || state.text.length);
  }

  function buildHay() {
    hay = new Array(F.length);
    for (var i = 0; i < F.length; i++) {
      var f = F[i];
      hay[i] = [f.rule, titleOf(f), f.sev, f.obj, f.loc, f.path || '', f.container || '', f.msg, f.fp].join('\n').toLowerCase();
    }
  }

  function applyFilters() {
    var shown = 0;
    groups.forEach(function (g) {
      var n = 0;
      for (var k = 0; k < g.rows.length; k++) {
        var i = g.rows[k];
        var vis = matches(i);
        if (rows[i].hidden === vis) rows[i].hidden = !vis;
        if (vis) n++;
      }
      g.el.hidden = n === 0;
      g.shown = n;
      if (g.countEl) g.countEl.textContent = plural(n, 'finding');
      shown += n;
    });
    $('findings-shown').textContent = String(shown);
    // Few findings left: open them all; the filters cleared: fold as at first.
    var now = filtering();
    if (now && (shown <= 400 || F.length <= FOLD_ABOVE)) openSome(true);
    else if (!now && wasFiltering) openSome(false);
    wasFiltering = now;
    var chip = $('filter-control');
    clear(chip);
    if (state.control) {
      add(chip, document.createTextNode(' \u00b7 control '));
      add(chip, el('b', null, state.control.label));
      var x = add(chip, el('button', 'chip-x', 'clear'));
      x.type = 'button';
      x.setAttribute('aria-label', 'Clear the control filter');
      x.addEventListener('click', function () { state.control = null; applyFilters(); });
    }
    return shown;
  }

  function option(sel, value, text) {
    var o = add(sel, el('option', null, text));
    o.value = value;
    return o;
  }

  function renderFindings() {
    // Frameworks per rule, as "CIS Kubernetes Benchmark 5.2.7".
    var fwTitle = {};
    (data.frameworks || []).forEach(function (fw) { fwTitle[fw.id] = fw.title; });
    Object.keys(R).forEach(function (id) {
      var r = R[id];
      var out = [];
      if (r.fw) Object.keys(r.fw).forEach(function (fid) { out.push((fwTitle[fid] || fid) + ' ' + r.fw[fid].join(', ')); });
      fwOfRule[id] = out;
    });
    for (var i = 0; i < F.length; i++) rows[i] = buildRow(F[i], i);
    $('findings-total').textContent = String(F.filter(function (f) { return !f.sup; }).length);

    // Filter options with counts.
    var ruleCount = {}, nsCount = {}, noNs = 0;
    F.forEach(function (f) {
      if (f.sup) return;
      ruleCount[f.rule] = (ruleCount[f.rule] || 0) + 1;
      if (f.ns) nsCount[f.ns] = (nsCount[f.ns] || 0) + 1; else noNs++;
    });
    var rs = $('filter-rule');
    Object.keys(R).sort().forEach(function (id) {
      option(rs, id, id + ' ' + R[id].title + ' (' + (ruleCount[id] || 0) + ')');
    });
    var ns = $('filter-namespace');
    Object.keys(nsCount).sort().forEach(function (n) { option(ns, n, n + ' (' + nsCount[n] + ')'); });
    if (noNs) option(ns, '-', '(cluster-scoped, no namespace) (' + noNs + ')');
    var fs = $('filter-framework');
    (data.frameworks || []).forEach(function (fw) { option(fs, fw.id, fw.title + ' (' + fw.fail + ' failing controls)'); });

    var root = $('findings');
    root.addEventListener('toggle', function (e) {
      var d = e.target;
      if (d.classList && d.classList.contains('finding') && d.open) {
        fillDetail(d);
        // The address names the open finding, so that a link to it can be shared.
        try { history.replaceState(null, '', '#finding-' + d.dataset.fingerprint); } catch (err) { /* file: URLs in some browsers */ }
      }
    }, true);
    if (!F.length) add(root, el('p', 'empty', 'No findings.'));

    function bind(id, key, ev) {
      $(id).addEventListener(ev || 'change', function () { state[key] = this.value; applyFilters(); });
    }
    bind('filter-severity', 'sev');
    bind('filter-rule', 'rule');
    bind('filter-namespace', 'ns');
    bind('filter-framework', 'fw');
    $('filter-suppressed').addEventListener('change', function () { state.sup = this.checked; applyFilters(); });
    $('group-by').addEventListener('change', function () { state.group = this.value; regroup(); });
    var timer = 0;
    var text = $('filter-text');
    function onText() {
      var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length && !hay) buildHay();
      state.text = words;
      applyFilters();
    }
    text.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(onText, F.length > 2000 ? 150 : 40);
    });
    text.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { text.value = ''; onText(); }
      if (e.key === 'Enter') { clearTimeout(timer); onText(); }
    });
    document.addEventListener('keydown', function (e) {
      var t = e.target;
      if (e.key === '/' && !(t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA'))) {
        e.preventDefault();
        text.focus();
      }
    });
    $('filter-reset').addEventListener('click', resetFilters);
    $('expand-all').addEventListener('click', function () { groups.forEach(function (g) { setOpen(g, true); }); });
    $('collapse-all').addEventListener('click', function () { groups.forEach(function (g) { setOpen(g, state.group === 'none'); }); });
    Array.prototype.forEach.call(document.querySelectorAll('#summary button.card'), function (b) {
      b.addEventListener('click', function () {
        resetFilters();
        state.sev = $('filter-severity').value = b.dataset.sev || '';
        applyFilters();
        $('findings-section').scrollIntoView();
      });
    });
    regroup();
  }

  function resetFilters() {
    state.sev = state.rule = state.ns = state.fw = '';
    state.text = [];
    state.sup = false;
    state.control = null;
    ['filter-severity', 'filter-rule', 'filter-namespace', 'filter-framework', 'filter-text'].forEach(function (id) { $(id).value = ''; });
    $('filter-suppressed').checked = false;
    applyFilters();
  }

  // reveal shows one finding: it clears the filters that hide it, opens it and
  // scrolls to it.
  function reveal(i) {
    if (rows[i].hidden) resetFilters();
    if (F[i].sup && rows[i].hidden) {
      state.sup = $('filter-suppressed').checked = true;
      applyFilters();
    }
    groups.forEach(function (g) { if (g.list === rows[i].parentNode) setOpen(g, true); });
    rows[i].open = true;
    fillDetail(rows[i]);
    rows[i].scrollIntoView({ block: 'start' });
    rows[i].querySelector('summary').focus();
  }

  // ---------- compliance ----------
  function renderCompliance() {
    var root = $('frameworks');
    var fws = data.frameworks || [];
    if (!fws.length) {
      add(root, el('p', 'empty', 'No rule of this report maps to a compliance framework.'));
      return;
    }
    fws.forEach(function (fw) {
      var d = add(root, el('details', 'framework'));
      d.dataset.framework = fw.id;
      d.open = true;
      var s = add(d, el('summary'));
      add(s, el('span', 'fw-title', fw.title));
      add(s, el('span', 'pill pill-fail', fw.fail + ' failing'));
      add(s, el('span', 'pill pill-clean', fw.clean + ' clean'));
      if (fw.unknown) add(s, el('span', 'pill pill-unknown', fw.unknown + ' unknown'));
      add(s, el('span', 'pill pill-na', fw.na + ' not assessed'));
      var bar = add(d, el('div', 'fwbar'));
      [['fail', fw.fail], ['unknown', fw.unknown || 0], ['clean', fw.clean], ['na', fw.na]].forEach(function (p) {
        if (!p[1]) return;
        var seg = add(bar, el('span', 'seg st-' + p[0]));
        seg.style.flexGrow = String(p[1]);
      });
      var lab = add(d, el('label', 'check'));
      var cb = add(lab, el('input'));
      cb.type = 'checkbox';
      add(lab, document.createTextNode(' show every control'));
      var table = add(d, el('table', 'controls only-fail'));
      var thead = add(table, el('thead'));
      var tr = add(thead, el('tr'));
      ['Control', 'Title', 'Status', 'Findings', 'Rules'].forEach(function (h) { add(tr, el('th', null, h)); });
      var tbody = add(table, el('tbody'));
      var section = null, sr = null;
      fw.controls.forEach(function (c) {
        if (c.section && c.section !== section) {
          section = c.section;
          sr = add(tbody, el('tr', 'section-row'));
          var th = add(sr, el('th', null, section));
          th.colSpan = 5;
        }
        var row = add(tbody, el('tr', 'control st-' + (c.status === 'n/a' ? 'na' : c.status)));
        if (sr && (c.status === 'fail' || c.status === 'unknown')) sr.classList.add('has-fail');
        add(row, el('td', 'code', c.id));
        add(row, el('td', null, c.title));
        var st = add(row, el('td'));
        add(st, el('span', 'status st-' + (c.status === 'n/a' ? 'na' : c.status), c.status === 'n/a' ? 'not assessed' : c.status));
        if (c.reason) add(st, el('div', 'muted small', c.reason));
        var fc = add(row, el('td', 'fcell'));
        if (c.failing) {
          add(fc, sevBadge(c.worst));
          var btn = add(fc, el('button', 'link', plural(c.failing, 'finding')));
          btn.type = 'button';
          btn.addEventListener('click', function () {
            var set = {};
            (c.rules || []).forEach(function (r) { set[r] = true; });
            resetFilters();
            state.control = { label: fw.title + ' ' + c.id, rules: set };
            applyFilters();
            $('findings-section').scrollIntoView();
          });
        }
        add(row, el('td', 'code small', (c.rules || []).join(', ')));
      });
      cb.addEventListener('change', function () { table.classList.toggle('only-fail', !cb.checked); });
    });
  }

  // ---------- input ----------
  function renderInputs() {
    var root = $('inputs');
    var any = false;
    function list(title, items, cls, open) {
      if (!items || !items.length) return;
      any = true;
      var d = add(root, el('details', 'input-list ' + cls));
      d.open = !!open;
      add(d, el('summary', null, title + ' (' + items.length + ')'));
      var ul = add(d, el('ul', 'code'));
      items.forEach(function (t) { add(ul, el('li', null, t)); });
    }
    list('Internal errors', data.internalErrors, 'bad', true);
    list('Input errors', data.inputErrors, 'bad', true);
    list('Not checked', data.coverage, 'warn', true);
    list('Notices', data.notices, 'note', false);
    if (data.images && data.images.length) {
      any = true;
      var d = add(root, el('details', 'input-list'));
      d.open = true;
      add(d, el('summary', null, 'Images (' + data.images.length + ')'));
      var t = add(d, el('table', 'images'));
      var hr = add(add(t, el('thead')), el('tr'));
      ['Image', 'Platform', 'Distribution', 'Packages', 'Run by', 'Signature'].forEach(function (h) { add(hr, el('th', null, h)); });
      var tb = add(t, el('tbody'));
      data.images.forEach(function (im) {
        var r = add(tb, el('tr'));
        add(r, el('td', 'code', im.name));
        add(r, el('td', null, im.platform || ''));
        add(r, el('td', null, im.distro || ''));
        add(r, el('td', null, String(im.packages)));
        add(r, el('td', null, (im.workloads || []).join(', ')));
        add(r, el('td', null, im.signature || ''));
      });
    }
    if (!any) add(root, el('p', 'muted', 'Every input was read; no notice.'));
  }

  // ---------- attack-path graph ----------
  var graph = null;
  var view = { k: 1, x: 0, y: 0, user: false }; // user: zoomed or panned by hand

  function buildGraph() {
    var nodes = {}; // index -> {i, layer, order, x, y, out:[], in:[]}
    var edges = {}; // key -> {from, to, kind, paths:[]}
    var byNode = {}; // node index -> [finding index]
    var count = 0;
    function touch(n, layer) {
      var g = nodes[n];
      if (!g) g = nodes[n] = { i: n, layer: layer, ins: [] };
      else if (layer < g.layer) g.layer = layer;
      return g;
    }
    function walk(hops, fi) {
      hops.forEach(function (h, k) {
        touch(h.f, k);
        touch(h.t, k + 1);
        var key = h.f + '>' + h.t + '>' + h.k;
        var e = edges[key];
        if (!e) {
          e = edges[key] = { from: h.f, to: h.t, kind: h.k, paths: [] };
          nodes[h.t].ins.push(h.f);
        }
        if (e.paths[e.paths.length - 1] !== fi) e.paths.push(fi);
        [h.f, h.t].forEach(function (n) {
          var l = byNode[n] || (byNode[n] = []);
          if (l[l.length - 1] !== fi) l.push(fi);
        });
      });
    }
    F.forEach(function (f, fi) {
      if (!f.ap || f.sup) return;
      count++;
      walk(f.ap.hops || [], fi);
      (f.ap.others || []).forEach(function (o) { walk(o, fi); });
    });
    var list = Object.keys(nodes).map(function (k) { return nodes[k]; });
    // Layers by hop (the fewest hops from an entry), then an order within each
    // layer that keeps nodes near their predecessors (barycentre sweeps).
    var layers = [];
    list.forEach(function (g) { (layers[g.layer] || (layers[g.layer] = [])).push(g); });
    layers = layers.filter(Boolean);
    layers.forEach(function (l) {
      l.sort(function (a, b) {
        var ka = KINDS.indexOf(N[a.i].kind), kb = KINDS.indexOf(N[b.i].kind);
        return (ka - kb) || (N[a.i].label < N[b.i].label ? -1 : 1);
      });
      l.forEach(function (g, o) { g.order = o; });
    });
    for (var sweep = 0; sweep < 4; sweep++) {
      for (var li = 1; li < layers.length; li++) {
        layers[li].forEach(function (g) {
          var s = 0, n = 0;
          g.ins.forEach(function (p) { var pg = nodes[p]; if (pg.layer < g.layer) { s += pg.order; n++; } });
          g.bary = n ? s / n : g.order;
        });
        layers[li].sort(function (a, b) { return a.bary - b.bary; });
        layers[li].forEach(function (g, o) { g.order = o; });
      }
    }
    var COLW = 235, W = 180, H = 42, GAP = 18;
    var maxRows = 0;
    layers.forEach(function (l) { maxRows = Math.max(maxRows, l.length); });
    layers.forEach(function (l, li) {
      var offset = (maxRows - l.length) * (H + GAP) / 2;
      l.forEach(function (g) {
        g.x = li * COLW;
        g.y = offset + g.order * (H + GAP);
      });
    });
    return {
      nodes: nodes, edges: Object.keys(edges).map(function (k) { return edges[k]; }), byNode: byNode, count: count,
      width: Math.max(1, layers.length * COLW - (COLW - W)), height: Math.max(1, maxRows * (H + GAP) - GAP), W: W, H: H
    };
  }

  function svgEl(tag, cls) {
    var e = document.createElementNS($('path-graph').namespaceURI, tag);
    if (cls) e.setAttribute('class', cls);
    return e;
  }

  function shorten(s, n) { return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }

  function renderGraph() {
    graph = buildGraph();
    var intro = $('paths-intro');
    if (!graph.count) {
      intro.textContent = 'No attack path in this report (palisade paths finds them; a scan reports the paths of rules PAL-470 to PAL-476).';
      $('graph-wrap').hidden = true;
      return;
    }
    intro.textContent = plural(graph.count, 'attack path') + ' over ' + plural(Object.keys(graph.nodes).length, 'node') +
      ': entries on the left, each column one hop further. Select a node (click, or Tab and Enter) to list the paths through it.';
    var legend = $('graph-legend');
    var seen = {};
    Object.keys(graph.nodes).forEach(function (k) { seen[N[k].kind] = true; });
    KINDS.forEach(function (kind) {
      if (!seen[kind]) return;
      add(legend, el('span', 'node-chip kind-' + kind, KIND_TEXT[kind]));
    });
    var vp = $('viewport');
    var G = graph;
    var edgeLayer = vp.appendChild(svgEl('g', 'edges'));
    var nodeLayer = vp.appendChild(svgEl('g', 'nodes'));
    G.edges.forEach(function (e) {
      var a = G.nodes[e.from], b = G.nodes[e.to];
      var x1 = a.x + G.W, y1 = a.y + G.H / 2, x2 = b.x, y2 = b.y + G.H / 2;
      var d;
      if (b.layer > a.layer) {
        var mx = (x1 + x2) / 2;
        d = 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2;
      } else {
        // A hop back to an earlier (or the same) column: loop below the nodes.
        var low = Math.max(a.y, b.y) + G.H + 30;
        d = 'M' + (a.x + G.W / 2) + ',' + (a.y + G.H) + ' C' + (a.x + G.W / 2) + ',' + low + ' ' + (b.x + G.W / 2) + ',' + low + ' ' + (b.x + G.W / 2) + ',' + (b.y + G.H);
      }
      var p = edgeLayer.appendChild(svgEl('path', 'edge edge-' + e.kind));
      p.setAttribute('d', d);
      p.setAttribute('marker-end', 'url(#arrow)');
      p.dataset.from = N[e.from].id;
      p.dataset.to = N[e.to].id;
      p.dataset.kind = e.kind;
      var t = p.appendChild(svgEl('title'));
      t.textContent = plain(N[e.from].label + ' \u2192 ' + N[e.to].label + ' (' + e.kind + ', ' + plural(e.paths.length, 'path') + ')');
      e.el = p;
      if (G.edges.length <= 80 && b.layer > a.layer) {
        var lbl = edgeLayer.appendChild(svgEl('text', 'edge-label'));
        lbl.setAttribute('x', String((x1 + x2) / 2));
        lbl.setAttribute('y', String((y1 + y2) / 2 - 4));
        lbl.setAttribute('text-anchor', 'middle');
        lbl.textContent = plain(e.kind);
      }
    });
    Object.keys(G.nodes).forEach(function (k) {
      var g = G.nodes[k], n = N[k];
      var node = nodeLayer.appendChild(svgEl('g', 'node kind-' + n.kind));
      node.setAttribute('transform', 'translate(' + g.x + ',' + g.y + ')');
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'button');
      node.setAttribute('aria-label', (KIND_TEXT[n.kind] || n.kind) + ': ' + n.label + ', ' + plural((G.byNode[k] || []).length, 'path'));
      node.dataset.nodeId = n.id;
      node.dataset.index = k;
      var rect = node.appendChild(svgEl('rect'));
      rect.setAttribute('width', G.W);
      rect.setAttribute('height', G.H);
      rect.setAttribute('rx', '7');
      var kt = node.appendChild(svgEl('text', 'kind'));
      kt.setAttribute('x', '10');
      kt.setAttribute('y', '15');
      kt.textContent = plain(KIND_TEXT[n.kind] || n.kind) + ' \u00b7 ' + plural((G.byNode[k] || []).length, 'path');
      var lt = node.appendChild(svgEl('text', 'label'));
      lt.setAttribute('x', '10');
      lt.setAttribute('y', '33');
      lt.textContent = shorten(plain(n.label), 26);
      var tt = node.appendChild(svgEl('title'));
      tt.textContent = plain(n.label) + '\n' + plain(n.id);
      g.el = node;
    });
    wireGraph();
    fit();
  }

  function applyView() {
    $('viewport').setAttribute('transform', 'translate(' + view.x + ',' + view.y + ') scale(' + view.k + ')');
  }

  // fit scales the graph to the width of its box (no larger than life) and sizes
  // the box to the graph's height, within bounds.
  function fit() {
    var svg = $('path-graph');
    var cw = svg.clientWidth || 800, pad = 24;
    var k = Math.min((cw - 2 * pad) / graph.width, 1.1);
    var maxH = 640, minH = 220;
    if (graph.height * k + 2 * pad > maxH) k = Math.min(k, (maxH - 2 * pad) / graph.height);
    k = Math.max(k, 0.05);
    var ch = Math.max(minH, Math.min(maxH, graph.height * k + 2 * pad));
    svg.style.height = ch + 'px';
    view.k = k;
    view.x = (cw - graph.width * k) / 2;
    view.y = (ch - graph.height * k) / 2;
    applyView();
  }

  function zoomAt(factor, px, py) {
    view.user = true;
    var k = Math.min(4, Math.max(0.05, view.k * factor));
    factor = k / view.k;
    view.x = px - (px - view.x) * factor;
    view.y = py - (py - view.y) * factor;
    view.k = k;
    applyView();
  }

  function zoomCenter(factor) {
    var svg = $('path-graph');
    zoomAt(factor, (svg.clientWidth || 800) / 2, (svg.clientHeight || 500) / 2);
  }

  function wireGraph() {
    var svg = $('path-graph');
    $('zoom-in').addEventListener('click', function () { zoomCenter(1.25); });
    $('zoom-out').addEventListener('click', function () { zoomCenter(0.8); });
    $('zoom-reset').addEventListener('click', function () { view.user = false; fit(); });
    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = svg.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    var drag = null;
    svg.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false, id: e.pointerId };
    });
    svg.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 4) {
        drag.moved = true;
        svg.setPointerCapture(drag.id);
        svg.classList.add('panning');
      }
      if (drag.moved) {
        view.user = true;
        view.x = drag.vx + dx;
        view.y = drag.vy + dy;
        applyView();
      }
    });
    var panned = false;
    function end() {
      if (drag && drag.moved) {
        svg.classList.remove('panning');
        panned = true;
        setTimeout(function () { panned = false; }, 0);
      }
      drag = null;
    }
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('click', function (e) {
      if (panned) return;
      var node = e.target.closest && e.target.closest('g.node');
      if (node) selectNode(+node.dataset.index);
    });
    svg.addEventListener('keydown', function (e) {
      var node = e.target.closest && e.target.closest('g.node');
      if (node && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        selectNode(+node.dataset.index);
        return;
      }
      var step = 60;
      switch (e.key) {
        case '+': case '=': zoomCenter(1.25); break;
        case '-': case '_': zoomCenter(0.8); break;
        case '0': view.user = false; fit(); break;
        case 'ArrowLeft': view.user = true; view.x += step; applyView(); break;
        case 'ArrowRight': view.user = true; view.x -= step; applyView(); break;
        case 'ArrowUp': view.user = true; view.y += step; applyView(); break;
        case 'ArrowDown': view.user = true; view.y -= step; applyView(); break;
        case 'Escape': selectNode(-1); break;
        default: return;
      }
      e.preventDefault();
    });
    // Refit when the box changes size (a window resize, the panel filling), unless
    // the reader zoomed or panned.
    var lastWidth = svg.clientWidth;
    function refit() {
      if (!view.user && svg.clientWidth !== lastWidth) {
        lastWidth = svg.clientWidth;
        fit();
      }
    }
    if (window.ResizeObserver) new ResizeObserver(refit).observe(svg);
    else window.addEventListener('resize', refit);
  }

  function selectNode(k) {
    var G = graph;
    var panel = $('node-panel');
    var svg = $('path-graph');
    clear(panel);
    Object.keys(G.nodes).forEach(function (i) { G.nodes[i].el.classList.remove('selected', 'on'); });
    G.edges.forEach(function (e) { e.el.classList.remove('on'); });
    if (k < 0 || !G.nodes[k]) {
      G.selected = null;
      svg.classList.remove('focus');
      add(panel, el('p', 'muted', 'Select a node to list the attack paths through it, with the evidence of every hop.'));
      return;
    }
    G.selected = k;
    svg.classList.add('focus');
    var paths = G.byNode[k] || [];
    var onPath = {};
    paths.forEach(function (fi) { onPath[fi] = true; });
    G.edges.forEach(function (e) {
      for (var j = 0; j < e.paths.length; j++) {
        if (onPath[e.paths[j]]) {
          e.el.classList.add('on');
          G.nodes[e.from].el.classList.add('on');
          G.nodes[e.to].el.classList.add('on');
          break;
        }
      }
    });
    G.nodes[k].el.classList.add('selected', 'on');
    var n = N[k];
    add(panel, el('h3', 'node-label', n.label));
    var dl = add(panel, el('dl', 'facts'));
    fact(dl, 'Kind', KIND_TEXT[n.kind] || n.kind);
    fact(dl, 'Node', n.id, 'code');
    fact(dl, 'Namespace', n.ns);
    fact(dl, 'Object', n.obj);
    fact(dl, 'Location', n.loc, 'code');
    add(panel, el('p', 'node-count', plural(paths.length, 'path') + ' through this node' + (paths.length > MAX_PANEL_PATHS ? ' (the first ' + MAX_PANEL_PATHS + ' below)' : '') + ':'));
    paths.slice(0, MAX_PANEL_PATHS).forEach(function (fi) {
      var f = F[fi], ap = f.ap;
      var box = add(panel, el('div', 'path'));
      var head = add(box, el('div', 'path-head'));
      add(head, sevBadge(f.sev));
      add(head, el('span', 'rule', f.rule));
      add(head, el('span', null, nodeText(ap.entry) + ' \u2192 ' + nodeText(ap.target)));
      var open = add(head, el('button', 'link', 'open the finding'));
      open.type = 'button';
      open.addEventListener('click', function () { reveal(fi); });
      add(box, renderHops(ap.hops || [], ap.fix ? ap.fix.hop : -1));
      if (ap.fix) renderFix(box, ap.fix, 'Cheapest fix (hop ' + (ap.fix.hop + 1) + '):');
    });
  }

  function init() {
    renderHeader();
    renderFindings();
    renderCompliance();
    renderInputs();
    renderGraph();
    var m = /^#finding-([0-9a-f]+)$/.exec(location.hash);
    if (m) {
      for (var i = 0; i < F.length; i++) if (F[i].fp === m[1]) { reveal(i); break; }
    }
    document.body.setAttribute('data-ready', 'true');
  }

  init();
})();
