// A Plotly chart mounted once and updated in place (see ui/live_chart.py).
//
// Streamlit calls this module's default export on mount and again whenever the
// data changes, with the same parentElement while the element stays on the page.
// The first call creates the chart's node; later calls hand the new figure to
// Plotly.react, which redraws only what changed and keeps zoom and pan (uirevision).
// Figures that arrive while one is being drawn are coalesced: only the newest is drawn.

const charts = new WeakMap(); // parentElement -> {node, message, latest, drawn, busy, draws, observer}

function loadPlotly(src) {
  // One <script> per page, shared by every chart: plotly.min.js sets window.Plotly.
  if (!window.__liveChartPlotly) {
    window.__liveChartPlotly = window.Plotly
      ? Promise.resolve(window.Plotly)
      : new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = new URL(src, document.baseURI).href;
          script.async = true;
          script.onload = () => resolve(window.Plotly);
          script.onerror = () => {
            window.__liveChartPlotly = null; // let a later update try again
            reject(new Error(`could not load ${script.src}`));
          };
          document.head.appendChild(script);
        });
  }
  return window.__liveChartPlotly;
}

function themed(layout, style) {
  // The app's font and text colour, unless the figure sets its own.
  const font = style.getPropertyValue("--st-font").trim();
  const color = style.getPropertyValue("--st-text-color").trim();
  const base = {};
  if (font) base.family = font;
  if (color) base.color = color;
  return { ...layout, font: { ...base, ...(layout.font || {}) } };
}

async function drawLatest(chart, parentElement) {
  if (chart.busy) return; // the loop below picks up the newest figure
  chart.busy = true;
  try {
    while (chart.latest !== chart.drawn) {
      const payload = chart.latest;
      chart.drawn = payload;
      const Plotly = await loadPlotly(payload.plotly_src);
      const fig = JSON.parse(payload.figure);
      const layout = themed(fig.layout || {}, getComputedStyle(parentElement));
      await Plotly.react(chart.node, fig.data || [], layout, payload.config || {});
      chart.draws += 1;
      chart.node.dataset.draws = String(chart.draws);
      chart.message.textContent = "";
    }
  } catch (err) {
    chart.message.textContent = `This chart could not be drawn: ${err.message || err}`;
    chart.drawn = undefined;
  } finally {
    chart.busy = false;
  }
}

function mount(parentElement) {
  const node = document.createElement("div");
  node.className = "live-chart";
  node.dataset.draws = "0";
  const message = document.createElement("div");
  message.className = "live-chart-message";
  parentElement.append(node, message);
  const chart = { node, message, latest: undefined, drawn: undefined, busy: false, draws: 0, observer: null };
  // Follow the column's width (a window resize is not the only way it changes).
  chart.observer = new ResizeObserver(() => {
    if (window.Plotly && chart.draws > 0) window.Plotly.Plots.resize(node);
  });
  chart.observer.observe(parentElement);
  return chart;
}

export default function ({ data, parentElement }) {
  let chart = charts.get(parentElement);
  if (!chart) {
    chart = mount(parentElement);
    charts.set(parentElement, chart);
  }
  if (data && typeof data === "object") {
    // Hold the chart's height from the first call, so the page does not jump while plotly loads.
    if (data.height) chart.node.style.minHeight = `${data.height}px`;
    chart.latest = data;
    drawLatest(chart, parentElement);
  }
  // Streamlit keeps only the newest cleanup and may call an older one early when data
  // changes mid-load; purge only once the element has really left the page.
  return () => {
    if (parentElement.isConnected) return;
    chart.observer.disconnect();
    if (window.Plotly) window.Plotly.purge(chart.node);
    charts.delete(parentElement);
  };
}
