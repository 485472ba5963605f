// The hour's details are rendered by the server (every value escaped); this only fetches and
// shows them. A file of its own: the page's Content-Security-Policy allows no inline script.
const detail = document.getElementById("detail");
const root = document.body.dataset.root;
document.querySelectorAll(".cell").forEach((cell) => cell.addEventListener("click", async () => {
  document.querySelectorAll(".cell.selected").forEach((c) => c.classList.remove("selected"));
  cell.classList.add("selected");
  detail.hidden = false;
  detail.textContent = "Loading…";
  const response = await fetch(root + "/hours/" + cell.dataset.stream + "/" + cell.dataset.runKey,
                               {credentials: "same-origin"});
  detail.innerHTML = response.ok ? await response.text()
                                 : "Could not load the hour (HTTP " + response.status + ").";
}));
