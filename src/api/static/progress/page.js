(function () {
  'use strict';
  var POLL_MS = 2000;
  var COLORS = [
    '#2f6fde',
    '#1f9d55',
    '#e07b1a',
    '#8e44ad',
    '#d64545',
    '#16a2b8',
    '#b8860b',
    '#5d6d7e',
    '#c2185b',
    '#00897b',
    '#6d4c41',
    '#3949ab',
  ];
  var SVG = 'http://www.w3.org/2000/svg';
  var key = null;
  var timer = null;
  var minutes = 15;

  function $(id) {
    return document.getElementById(id);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    return node;
  }
  function number(n) {
    return Number(n || 0).toLocaleString();
  }
  function time(iso) {
    return iso ? new Date(iso).toLocaleTimeString() : '-';
  }
  function colorOf(index) {
    return COLORS[index % COLORS.length];
  }

  /** Takes the key from the fragment (never sent to the server) and wipes it from the address bar. */
  function keyFromFragment() {
    var match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (!match) return null;
    history.replaceState(null, '', location.pathname + location.search);
    return decodeURIComponent(match[1]);
  }

  function showForm(message) {
    stop();
    $('signin').hidden = false;
    $('dashboard').hidden = true;
    $('signout').hidden = true;
    $('signin-error').textContent = message || '';
    $('signin-error').hidden = !message;
  }

  function start(newKey) {
    key = newKey;
    sessionStorage.setItem('disparo.key', key);
    $('signin').hidden = true;
    $('dashboard').hidden = false;
    $('signout').hidden = false;
    poll();
  }

  function stop() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function setLive(state, text) {
    $('live').className = 'dot ' + state;
    $('updated').textContent = text;
  }

  function poll() {
    stop();
    fetch('/v1/progress?minutes=' + minutes, { headers: { authorization: 'Bearer ' + key }, cache: 'no-store' })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          sessionStorage.removeItem('disparo.key');
          showForm('That API key was not accepted.');
          return null;
        }
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        render(data);
        minutes = chartMinutes(data);
        setLive('live', 'updated ' + time(data.now));
        timer = setTimeout(poll, POLL_MS);
      })
      .catch(function (error) {
        setLive('error', 'cannot reach the API (' + error.message + '), retrying');
        timer = setTimeout(poll, POLL_MS);
      });
  }

  /** The chart spans the campaigns in progress (or finished within the hour): 2 to 60 minutes. */
  function chartMinutes(data) {
    var now = Date.parse(data.now);
    var starts = data.campaigns
      .filter(function (c) {
        return c.startedAt && (!c.completedAt || now - Date.parse(c.completedAt) < 3600000);
      })
      .map(function (c) {
        return Date.parse(c.startedAt);
      });
    if (starts.length === 0) return 15;
    return Math.min(60, Math.max(2, Math.ceil((now - Math.min.apply(null, starts)) / 60000) + 1));
  }

  function render(data) {
    $('company').textContent = data.company.name;
    var colors = {};
    data.campaigns.forEach(function (campaign, index) {
      colors[campaign.campaignId] = colorOf(index);
    });
    renderCampaigns(data.campaigns, colors);
    renderChart(data.campaigns, data.timeline, colors);
    renderFailures(data.campaigns, data.failures);
  }

  function renderCampaigns(campaigns, colors) {
    var list = $('campaigns');
    list.replaceChildren();
    if (campaigns.length === 0) {
      list.appendChild(el('p', { class: 'empty' }, 'No campaigns yet.'));
      return;
    }
    campaigns.forEach(function (c) {
      var counters = c.counters;
      var total = Math.max(1, counters.audience - counters.missing);
      var row = el('div', { class: 'campaign', 'data-campaign-id': c.campaignId });
      var title = el('div', { class: 'title' });
      var swatch = el('span', { class: 'swatch' });
      swatch.style.background = colors[c.campaignId];
      title.append(
        swatch,
        el('span', { class: 'name' }, c.name),
        el('span', { class: 'pill ' + c.status, 'data-field': 'status' }, c.status),
        el('span', { class: 'empty', 'data-field': 'percent' }, Math.round(c.done * 100) + '%'),
      );
      if (c.template)
        title.append(
          el(
            'span',
            { class: 'empty', 'data-field': 'template' },
            'template ' + c.template.name + ' (' + c.template.language + ')',
          ),
        );
      if (c.pausedReason) title.append(el('span', { class: 'empty', 'data-field': 'paused-reason' }, c.pausedReason));
      var bar = el('div', {
        class: 'bar',
        role: 'progressbar',
        'aria-valuemin': '0',
        'aria-valuemax': '100',
        'aria-valuenow': String(Math.round(c.done * 100)),
      });
      ['sent', 'failed', 'cancelled'].forEach(function (kind) {
        var part = el('span', { class: kind, title: kind + ': ' + counters[kind] });
        part.style.width = (100 * counters[kind]) / total + '%';
        bar.appendChild(part);
      });
      var figures = el('div', { class: 'figures' });
      function figure(label, value, field) {
        var span = el('span');
        span.append(el('b', { 'data-field': field }, value), document.createTextNode(' ' + label));
        figures.appendChild(span);
      }
      var sent = el('span');
      sent.append(
        el('b', { 'data-field': 'sent' }, number(counters.sent)),
        document.createTextNode(' of '),
        el('b', { 'data-field': 'planned' }, number(total)),
        document.createTextNode(' sent'),
      );
      figures.appendChild(sent);
      figure('failed', number(counters.failed), 'failed');
      figure('pending', number(c.pending), 'pending');
      figure('sends/min', c.sentPerMinute, 'rate');
      figure('delivered', c.deliveredRate === null ? '–' : Math.round(c.deliveredRate * 100) + '%', 'delivered-rate');
      figure('read', c.readRate === null ? '–' : Math.round(c.readRate * 100) + '%', 'read-rate');
      if (c.waitingFor === 'window' && c.nextOpeningAt)
        figure('window opens (waiting)', time(c.nextOpeningAt), 'waiting');
      if (c.waitingFor === 'cap' && c.capFreesAt)
        figure('daily cap frees a slot (waiting)', time(c.capFreesAt), 'waiting');
      if (c.connectionIds && c.connectionIds.length > 1) figure('numbers', c.connectionIds.length, 'numbers');
      if (c.throughputPerSec) figure('sends/s provider limit', number(c.throughputPerSec), 'provider-rate');
      if (c.estimatedFinishAt) figure('estimated finish', time(c.estimatedFinishAt), 'finish');
      else if (c.completedAt) figure('finished', time(c.completedAt), 'finish');
      row.append(title, bar, figures);
      list.appendChild(row);
    });
  }

  /** Stacked bars: sends per time bucket, one colour per campaign; the axis is in sends per minute. */
  function renderChart(campaigns, timeline, colors) {
    var holder = $('chart');
    holder.replaceChildren();
    var ids = campaigns
      .map(function (c) {
        return c.campaignId;
      })
      .filter(function (id) {
        return timeline.sent[id];
      });
    var buckets = ids.length ? timeline.sent[ids[0]].length : 0;
    var totals = [];
    for (var i = 0; i < buckets; i++)
      totals.push(
        ids.reduce(function (sum, id) {
          return sum + timeline.sent[id][i];
        }, 0),
      );
    var perMinute = 60 / timeline.bucketSeconds;
    var peak = Math.max.apply(null, [1].concat(totals));
    var width = 1000,
      height = 220,
      left = 44,
      bottom = 22,
      top = 10;
    var plotW = width - left - 8,
      plotH = height - top - bottom;
    var chart = svg('svg', {
      viewBox: '0 0 ' + width + ' ' + height,
      width: '100%',
      role: 'img',
      'aria-label': 'sends over time',
    });
    [0, 0.5, 1].forEach(function (share) {
      var y = top + plotH * (1 - share);
      chart.appendChild(svg('line', { x1: left, x2: width - 8, y1: y, y2: y, stroke: '#e3e6ec' }));
      var label = svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' });
      label.textContent = String(Math.round(peak * share * perMinute * 10) / 10);
      chart.appendChild(label);
    });
    var slot = plotW / Math.max(1, buckets);
    for (var b = 0; b < buckets; b++) {
      var y = top + plotH;
      ids.forEach(function (id) {
        var count = timeline.sent[id][b];
        if (!count) return;
        var h = (plotH * count) / peak;
        y -= h;
        var rect = svg('rect', {
          x: left + b * slot + 1,
          y: y,
          width: Math.max(1, slot - 2),
          height: h,
          fill: colors[id],
        });
        var tip = svg('title', {});
        tip.textContent = count + ' sent';
        rect.appendChild(tip);
        chart.appendChild(rect);
      });
    }
    var from = Date.parse(timeline.from);
    [0, Math.floor(buckets / 2), buckets].forEach(function (index, n) {
      var label = svg('text', {
        x: left + index * slot,
        y: height - 6,
        'text-anchor': n === 0 ? 'start' : n === 2 ? 'end' : 'middle',
      });
      label.textContent = new Date(from + index * timeline.bucketSeconds * 1000).toLocaleTimeString();
      chart.appendChild(label);
    });
    holder.appendChild(chart);
    $('chart-caption').textContent =
      'Sends per minute, ' +
      timeline.bucketSeconds +
      ' s bars, total in window: ' +
      number(
        totals.reduce(function (a, b) {
          return a + b;
        }, 0),
      );
    var legend = $('legend');
    legend.replaceChildren();
    campaigns.forEach(function (c) {
      var item = el('span');
      var swatch = el('span', { class: 'swatch' });
      swatch.style.background = colors[c.campaignId];
      item.append(swatch, document.createTextNode(' ' + c.name));
      legend.appendChild(item);
    });
  }

  function renderFailures(campaigns, failures) {
    var names = {};
    campaigns.forEach(function (c) {
      names[c.campaignId] = c.name;
    });
    var body = $('failures');
    body.replaceChildren();
    $('no-failures').hidden = failures.length > 0;
    $('failures-table').hidden = failures.length === 0;
    failures.forEach(function (f) {
      var row = el('tr', { 'data-reason': f.reason });
      row.append(
        el('td', {}, names[f.campaignId] || f.campaignId),
        el('td', {}, f.reason),
        el('td', { class: 'count' }, number(f.count)),
      );
      body.appendChild(row);
    });
  }

  $('signin').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = $('key-input').value.trim();
    $('key-input').value = '';
    if (value) start(value);
  });
  $('signout').addEventListener('click', function () {
    sessionStorage.removeItem('disparo.key');
    showForm('');
  });

  var initial = keyFromFragment() || sessionStorage.getItem('disparo.key');
  if (initial) start(initial);
  else showForm('');
})();
