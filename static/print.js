// The "In" button of the printable handover record: the Content-Security-Policy allows no inline handlers.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
