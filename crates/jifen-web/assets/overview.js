// The console overview's charts, drawn with Apache ECharts from the numbers and words the page
// carries in <script type="application/json" id="overview-data"> (the server writes both, in
// the page's language). Points: issued as bars above the zero baseline, spent and expired below
// it, values on the bars up to a month; members: new and active per day as lines; tiers: a pie
// with counts and shares. Each chart's element gets data-drawn="1" once ECharts has rendered it.
(function () {
  'use strict';
  var source = document.getElementById('overview-data');
  if (!source || !window.echarts) {
    return;
  }
  var d = JSON.parse(source.textContent);
  var w = d.words;
  var locale = d.locale === 'EN' ? 'en-GB' : 'zh-CN';
  var fmt = function (v) {
    return Number(v).toLocaleString(locale);
  };
  var days = d.dates.length;
  var labelled = days <= 31;
  var dates = d.dates.map(function (s) {
    return s.slice(5);
  });
  var ink = '#1f2329';
  var colours = { issued: '#d9773f', spent: '#4f6fd1', expired: '#8a909b', fresh: '#2f9e6e', active: '#4f6fd1' };

  function draw(id, option) {
    var dom = document.getElementById(id);
    if (!dom) {
      return;
    }
    var chart = echarts.init(dom, null, { renderer: 'svg', locale: d.locale });
    chart.on('finished', function () {
      dom.setAttribute('data-drawn', '1');
    });
    option.animation = false;
    option.aria = { enabled: true };
    option.textStyle = { fontFamily: 'inherit' };
    chart.setOption(option);
    window.addEventListener('resize', function () {
      chart.resize();
    });
  }

  function label(position, show) {
    return {
      show: show,
      position: position,
      fontSize: 10,
      color: ink,
      formatter: function (p) {
        return p.value === 0 ? '' : fmt(p.value);
      }
    };
  }

  // The days along the bottom, named; `more` adds to (or overrides) the defaults.
  function dayAxis(more) {
    return Object.assign({
      type: 'category',
      data: dates,
      name: w.day,
      nameLocation: 'middle',
      nameGap: 30,
      axisLabel: { hideOverlap: true, color: ink }
    }, more);
  }

  // A count up the side, named along it, with thousands separators.
  function countAxis(name, more) {
    return Object.assign({
      type: 'value',
      name: name,
      nameLocation: 'middle',
      nameGap: 50,
      nameTextStyle: { color: ink },
      axisLabel: { formatter: fmt, color: ink }
    }, more);
  }

  // Spent is labelled below its bar unless expired points sit under it that day.
  var spent = d.spent.map(function (v, i) {
    return { value: v, label: { position: d.expired[i] === 0 ? 'bottom' : 'inside' } };
  });

  draw('chart-points', {
    legend: { top: 0, itemGap: 20, data: [w.issued, w.spent, w.expired] },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: fmt },
    grid: { left: 72, right: 24, top: 40, bottom: 48 },
    xAxis: dayAxis({ axisLine: { onZero: false }, axisTick: { alignWithLabel: true } }),
    yAxis: countAxis(w.points, {}),
    labelLayout: { hideOverlap: true },
    series: [
      {
        name: w.issued,
        type: 'bar',
        stack: 'flow',
        data: d.issued,
        itemStyle: { color: colours.issued },
        label: label('top', labelled),
        markLine: {
          silent: true,
          symbol: 'none',
          label: { show: false },
          lineStyle: { color: ink, type: 'solid', width: 1 },
          data: [{ yAxis: 0 }]
        }
      },
      {
        name: w.spent,
        type: 'bar',
        stack: 'flow',
        data: spent,
        itemStyle: { color: colours.spent },
        label: label('bottom', labelled)
      },
      {
        name: w.expired,
        type: 'bar',
        stack: 'flow',
        data: d.expired,
        itemStyle: { color: colours.expired },
        label: label('bottom', labelled)
      }
    ]
  });

  draw('chart-trends', {
    legend: { top: 0, itemGap: 20, data: [w.new_members, w.active] },
    tooltip: { trigger: 'axis', valueFormatter: fmt },
    grid: { left: 72, right: 24, top: 48, bottom: 48 },
    xAxis: dayAxis({ boundaryGap: false }),
    yAxis: countAxis(w.members, { minInterval: 1 }),
    labelLayout: { hideOverlap: true },
    series: [
      {
        name: w.new_members,
        type: 'line',
        data: d.new_members,
        itemStyle: { color: colours.fresh },
        label: label('top', days <= 14)
      },
      {
        name: w.active,
        type: 'line',
        data: d.active,
        itemStyle: { color: colours.active },
        label: label('top', days <= 14)
      }
    ]
  });

  draw('chart-tiers', {
    tooltip: { trigger: 'item', valueFormatter: fmt },
    series: [
      {
        name: w.tiers,
        type: 'pie',
        radius: ['35%', '65%'],
        // A tier without members is in the table below, without a label on the ring.
        data: d.tiers.map(function (t) {
          return { name: t[0], value: t[1], label: { show: t[1] > 0 }, labelLine: { show: t[1] > 0 } };
        }),
        label: {
          color: ink,
          lineHeight: 16,
          formatter: function (p) {
            return p.name + '\n' + fmt(p.value) + ' (' + p.percent.toFixed(1) + '%)';
          }
        }
      }
    ]
  });
})();
