"use strict";
// Internal admin page: talks to the fine-tuning service on the same origin.
const state = { token: sessionStorage.getItem("nstAdminToken") || "" };
const $ = (id) => document.getElementById(id);

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Authorization": `Bearer ${state.token}`, "Content-Type": "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    throw new Error(`${response.status}: ${detail || response.statusText}`);
  }
  return body;
}

function renderJobs(jobs) {
  const list = $("jobs");
  list.replaceChildren();
  for (const job of jobs.slice(0, 10)) {
    const item = document.createElement("li");
    const title = document.createElement("div");
    const loss = job.losses && job.losses.total !== undefined ? job.losses.total.toFixed(2) : "-";
    const eta = job.eta_seconds ? `, ETA ${Math.round(job.eta_seconds)} s` : "";
    title.textContent = `${job.model}: ${job.status} (step ${job.step}/${job.total_steps}, ` +
      `loss ${loss}${eta})` + (job.version ? ` -> ${job.version}` : "") +
      (job.promoted === false ? " (not promoted)" : "") + (job.error ? ` - ${job.error}` : "");
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = job.progress;
    bar.setAttribute("aria-label", `progress of the ${job.model} job`);
    item.append(title, bar);
    list.append(item);
  }
}

function versionRow(model, v) {
  const row = document.createElement("tr");
  const cells = [v.version, v.parent || "-", v.kind || "-", v.created || "-",
                 v.candidate_loss == null ? "-" : v.candidate_loss.toFixed(2)];
  for (const text of cells) {
    const cell = document.createElement("td");
    cell.textContent = text;
    row.append(cell);
  }
  const action = document.createElement("td");
  if (v.version === model.served) {
    action.textContent = "served";
    action.className = "served";
  } else {
    const button = document.createElement("button");
    button.textContent = `Promote ${v.version}`;
    button.addEventListener("click", () => move(`/models/${model.id}/promote`,
                                                { version: v.version }));
    action.append(button);
  }
  row.append(action);
  return row;
}

function renderModels(models) {
  const root = $("models");
  root.replaceChildren();
  const select = $("model");
  const chosen = select.value;
  select.replaceChildren();
  for (const model of models) {
    select.append(new Option(`${model.id} - ${model.name}`, model.id, false, model.id === chosen));
    const heading = document.createElement("h3");
    heading.textContent = `${model.id} - ${model.name} (serving ${model.served || "nothing"})`;
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const text of ["version", "parent", "kind", "created", "eval loss", ""]) {
      const th = document.createElement("th");
      th.textContent = text;
      head.append(th);
    }
    table.append(head, ...model.versions.map((v) => versionRow(model, v)));
    const rollback = document.createElement("button");
    rollback.className = "secondary";
    rollback.textContent = `Roll back ${model.id}`;
    rollback.addEventListener("click", () => move(`/models/${model.id}/rollback`));
    root.append(heading, table, rollback);
  }
}

async function move(path, body) {
  try {
    const moved = await api(path, { method: "POST", body: JSON.stringify(body || {}) });
    say(`${moved.model} now serves ${moved.version} (was ${moved.previous || "none"})`);
    await refresh();
  } catch (error) {
    say(error.message, true);
  }
}

async function refresh() {
  if (!state.token) return;
  try {
    const [jobs, models] = await Promise.all([api("/jobs"), api("/models")]);
    renderJobs(jobs);
    renderModels(models);
  } catch (error) {
    say(error.message, true);
  }
}

$("token").value = state.token;
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("nstAdminToken", state.token);
  say("Token set.");
  refresh();
});
$("train-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const job = await api("/finetune", { method: "POST", body: JSON.stringify({
      model: $("model").value, max_steps: Number($("steps").value),
      image_size: Number($("size").value) }) });
    say(`Job ${job.job_id} queued for ${job.model}.`);
    refresh();
  } catch (error) {
    say(error.message, true);
  }
});
refresh();
setInterval(refresh, 2000);
