// Keeps a running import's page live: polls its progress every second, updates the bar and the counts in place,
// and loads the report once the import has ended. Without JavaScript the page refreshes itself instead.
const POLL_MS = 1000;
const RETRY_MS = 5000; // after a failed poll (the server restarting, the network gone): try again, more slowly

const panel = document.querySelector("[data-progress-url]");
if (panel) {
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "vi");
  const bar = document.getElementById("import-progress");
  const percentText = panel.querySelector("[data-percent]");

  const show = (progress) => {
    if (progress.percent !== null) {
      bar.value = progress.percent;
      bar.textContent = percentText.textContent = `${progress.percent}%`;
    }
    panel.querySelectorAll("[data-count]").forEach((count) => {
      count.querySelector("dd").textContent = numbers.format(progress[count.dataset.count]);
    });
  };

  const poll = async () => {
    try {
      const answer = await fetch(panel.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      const progress = await answer.json();
      if (progress.status !== "running") {
        window.location.replace(progress.report);
        return;
      }
      show(progress);
      window.setTimeout(poll, POLL_MS);
    } catch {
      window.setTimeout(poll, RETRY_MS);
    }
  };

  window.setTimeout(poll, POLL_MS);
}
