// The report's filters: choosing a date means the period "Dates", so that the dates count.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector(".report-filters");
  if (!form) return;
  const period = form.elements.namedItem("range");
  for (const name of ["start", "end"]) {
    form.elements.namedItem(name).addEventListener("change", () => { period.value = "custom"; });
  }
});
