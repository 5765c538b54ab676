// Dashboard charts on /kpi: each chart in #kpi-charts (categories, series, and the records page each
// category's current bar opens) drawn with ECharts as horizontal bars, readable on a phone. The tables
// beside them hold the same numbers and links, so nothing depends on the script.

declare const echarts: any;

type Chart = {
  id: string;
  title: string;
  categories: string[];
  series: { name: string; data: number[] }[];
  links: string[];
};

const COLOURS = ["#1d4ed8", "#94a3b8", "#f59e0b"];

function draw(): void {
  const data = document.getElementById("kpi-charts");
  if (!data || typeof echarts === "undefined") return;
  const charts: Chart[] = JSON.parse(data.textContent || "[]");
  const drawn: any[] = [];
  for (const c of charts) {
    const el = document.getElementById(c.id);
    if (!el || c.categories.length === 0) continue;
    // Top category first; each bar group gets room for its three bars.
    const cats = c.categories.slice().reverse();
    el.style.height = Math.max(160, 28 * cats.length * Math.min(c.series.length, 2) + 60) + "px";
    const chart = echarts.init(el, undefined, { renderer: "svg" });
    chart.setOption({
      animation: false,
      color: COLOURS,
      grid: { left: 8, right: 24, top: c.series.length > 1 ? 32 : 8, bottom: 8, containLabel: true },
      legend: c.series.length > 1 ? { top: 0, data: c.series.map((s) => s.name) } : undefined,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: cats, axisLabel: { width: 96, overflow: "truncate" } },
      series: c.series.map((s, i) => ({
        name: s.name,
        type: "bar",
        data: s.data.slice().reverse(),
        label: i === 0 ? { show: true, position: "right" } : undefined,
        cursor: i === 0 ? "pointer" : "default",
      })),
    });
    chart.on("click", (p: any) => {
      if (p.seriesIndex !== 0) return;
      const link = c.links[c.categories.length - 1 - p.dataIndex];
      if (link) window.location.href = link;
    });
    el.dataset.drawn = "1";
    drawn.push(chart);
  }
  window.addEventListener("resize", () => drawn.forEach((ch) => ch.resize()));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
else draw();
