/* Style Transfer Studio: the whole page's behaviour. No framework, no build step, no inline
   code (the Content-Security-Policy allows scripts and styles from this origin only). */
"use strict";

(() => {
  // Relative to the page, so the UI works wherever it is mounted (Nginx puts the gateway
  // under /api/ next to index.html).
  const API = "api";
  // The gateway is authoritative (NST_MAX_UPLOAD_BYTES); this only saves a pointless upload.
  const MAX_BYTES = 10 * 1024 * 1024;
  const ALLOWED_TYPES = new Map([
    ["image/jpeg", "JPEG"], ["image/png", "PNG"], ["image/webp", "WebP"],
  ]);
  const ALLOWED_EXTENSIONS = /\.(jpe?g|png|webp)$/i;
  // Inference of a big photo takes ~10 s; leave room for a queue and a retry upstream.
  const STYLIZE_TIMEOUT_MS = 180_000;

  const $ = (id) => document.getElementById(id);
  const el = {
    error: $("error"), errorText: $("error-text"), errorClose: $("error-close"),
    form: $("stylize-form"), modelList: $("model-list"),
    dropzone: $("dropzone"), fileInput: $("file-input"), maxSize: $("max-size"),
    preview: $("preview"), previewImg: $("preview-img"),
    previewName: $("preview-name"), previewSize: $("preview-size"),
    strength: $("strength"), strengthValue: $("strength-value"),
    preserveColors: $("preserve-colors"),
    button: $("stylize-button"), buttonLabel: $("stylize-label"), elapsed: $("elapsed"),
    status: $("status"),
    result: $("result"), resultTitle: $("result-title"), resultImg: $("result-img"),
    resultOriginal: $("result-original"), resultCaption: $("result-caption"),
    resultMeta: $("result-meta"), download: $("download"),
    feedbackForm: $("feedback-form"), feedbackButton: $("feedback-button"),
    feedbackStatus: $("feedback-status"), comment: $("comment"),
  };

  const state = {
    models: new Map(),   // id -> model from /api/models
    file: null,          // the accepted File
    previewUrl: null,    // object URL of `file`
    shownOriginalUrl: null,  // object URL shown as "Original" next to the result
    resultUrl: null,     // object URL of the last stylized PNG
    requestId: null,     // of the last result, for feedback
    busy: false,
  };

  // ---------------------------------------------------------------- helpers
  function formatBytes(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
  }

  function formatSeconds(ms) {
    return `${(ms / 1000).toFixed(1)} s`;
  }

  /** "The Great Wave (Hokusai)" -> "great-wave"; "Chicago Skyline.JPG" stem -> "chicago-skyline". */
  function slug(text) {
    return text
      .normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/\([^)]*\)/g, " ")
      .toLowerCase()
      .replace(/^\s*(the|a|an)\s+/, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60)
      .replace(/-+$/, "");
  }

  function downloadName(fileName, model) {
    const stem = slug(fileName.replace(/\.[^.]*$/, "")) || "photo";
    const style = slug(model ? model.name : "") || slug(model ? model.id : "") || "styled";
    return `${stem}-${style}.png`;
  }

  function prefersMotion() {
    return !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function showError(message) {
    el.errorText.textContent = message;
    el.error.hidden = false;
    // On a phone the message sits far above the Stylize button: bring it into view.
    el.error.scrollIntoView({ behavior: prefersMotion() ? "smooth" : "auto", block: "nearest" });
  }

  function clearError() {
    el.error.hidden = true;
    el.errorText.textContent = "";
  }

  /** FastAPI's detail is a string, or a list of {loc, msg} for validation errors. */
  function detailText(body) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => {
        const field = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
        return field ? `${field}: ${d.msg}` : String(d.msg || d);
      }).join("; ");
    }
    return "";
  }

  async function readBody(response) {
    try {
      return await response.json();
    } catch {
      return null;  // Nginx's own error pages, or an empty body.
    }
  }

  /** Words a person can act on, for any failed API response. */
  function describeFailure(response, body, action) {
    const detail = detailText(body);
    const why = detail ? ` (${detail.replace(/\.$/, "")})` : "";
    const retry = response.headers.get("Retry-After");
    const wait = retry && /^\d+$/.test(retry) ? `${retry} second${retry === "1" ? "" : "s"}` : "a moment";
    switch (response.status) {
      case 400: return `The server could not use this ${action}${why}. Please check the photo and try again.`;
      case 404: return `Not found${why}. The style may have been removed; reload the page to refresh the list.`;
      case 413: return `This photo is too large${why}. Try a smaller image.`;
      case 415: return `This file type is not supported${why}. Please use a JPEG, PNG or WebP image.`;
      case 422: return `Some of the settings were not accepted${why}.`;
      case 429: return `Too many requests right now. Please wait ${wait} and try again.`;
      case 502:
      case 503: return `The style service is not available right now${why}. Please try again in ${wait}.`;
      case 504: return `The style service took too long to answer${why}. Try a smaller photo, or try again.`;
      default: return `Something went wrong (HTTP ${response.status})${why}. Please try again.`;
    }
  }

  function networkFailure(error) {
    if (error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return "The server took too long to answer. Please try again.";
    }
    return "Could not reach the server. Check your connection and try again.";
  }

  function selectedModel() {
    const checked = el.modelList.querySelector("input[name=model]:checked");
    return checked ? state.models.get(checked.value) : null;
  }

  function updateButton() {
    el.button.disabled = state.busy || !state.file || !selectedModel();
  }

  // ---------------------------------------------------------------- models
  function modelCard(model) {
    const label = document.createElement("label");
    label.className = "model-card";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "model";
    input.value = model.id;
    input.className = "visually-hidden";
    // Not disabled when the gateway's quick probe failed: a busy service can miss it, and
    // if the style is really down, Stylize says so in words.
    const img = document.createElement("img");
    img.src = model.style_image_url;
    img.alt = "";  // decorative: the name next to it labels the choice
    img.loading = "lazy";
    img.decoding = "async";
    const name = document.createElement("span");
    name.className = "model-name";
    name.textContent = model.name;
    const meta = document.createElement("span");
    meta.className = "model-meta";
    meta.textContent = [model.version, model.available ? "" : "not responding right now"]
      .filter(Boolean).join(" · ");
    if (!model.available) label.classList.add("unavailable");
    label.append(input, img, name, meta);
    return label;
  }

  async function loadModels() {
    el.modelList.setAttribute("aria-busy", "true");
    let models;
    try {
      const response = await fetch(`${API}/models`, { headers: { Accept: "application/json" } });
      const body = await readBody(response);
      if (!response.ok || !Array.isArray(body)) {
        throw new Error(response.ok ? "The list of styles could not be read."
          : describeFailure(response, body, "request"));
      }
      models = body;
    } catch (error) {
      el.modelList.replaceChildren(retryButton());
      el.modelList.setAttribute("aria-busy", "false");
      showError(error instanceof TypeError ? networkFailure(error)
        : `Could not load the styles: ${error.message}`);
      return;
    }
    state.models = new Map(models.map((m) => [m.id, m]));
    const cards = models.map(modelCard);
    el.modelList.replaceChildren(...cards);
    if (!models.length) {
      const none = document.createElement("p");
      none.className = "muted";
      none.textContent = "No styles are installed yet.";
      el.modelList.append(none);
    }
    const preferred = models.find((m) => m.available) || models[0];
    if (preferred) {
      el.modelList.querySelector(`input[value="${CSS.escape(preferred.id)}"]`).checked = true;
    }
    el.modelList.setAttribute("aria-busy", "false");
    updateButton();
  }

  function retryButton() {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Try loading the styles again";
    button.addEventListener("click", () => { clearError(); loadModels(); });
    return button;
  }

  // ---------------------------------------------------------------- photo
  function fileProblem(file) {
    const typeOk = ALLOWED_TYPES.has(file.type) || (!file.type && ALLOWED_EXTENSIONS.test(file.name));
    if (!typeOk) {
      const what = file.type ? ` (${file.type})` : "";
      return `“${file.name}”${what} is not a supported image. Please choose a JPEG, PNG or WebP photo.`;
    }
    if (file.size === 0) return `“${file.name}” is empty. Please choose another photo.`;
    if (file.size > MAX_BYTES) {
      return `“${file.name}” is ${formatBytes(file.size)}; the limit is ${formatBytes(MAX_BYTES)}. Please choose a smaller photo.`;
    }
    return null;
  }

  function forgetFile() {
    state.file = null;
    // The result panel may still show this photo as its original; keep that one alive.
    if (state.previewUrl && state.previewUrl !== state.shownOriginalUrl) {
      URL.revokeObjectURL(state.previewUrl);
    }
    state.previewUrl = null;
    el.preview.hidden = true;
    el.previewImg.removeAttribute("src");
    el.dropzone.classList.remove("has-file");
    updateButton();
  }

  function acceptFile(file) {
    if (!file || state.busy) return;
    clearError();
    const problem = fileProblem(file);
    if (problem) {
      forgetFile();
      showError(problem);
      return;
    }
    forgetFile();
    const url = URL.createObjectURL(file);
    state.previewUrl = url;
    el.previewImg.onload = () => {
      if (state.previewUrl !== url) return;  // a newer file won the race
      state.file = file;
      el.previewName.textContent = file.name;
      el.previewSize.textContent =
        `${el.previewImg.naturalWidth} × ${el.previewImg.naturalHeight} px · ${formatBytes(file.size)}`;
      el.preview.hidden = false;
      el.dropzone.classList.add("has-file");
      el.status.textContent = "";
      updateButton();
    };
    el.previewImg.onerror = () => {
      if (state.previewUrl !== url) return;
      forgetFile();
      showError(`“${file.name}” could not be read as an image. It may be damaged; please choose another photo.`);
    };
    el.previewImg.src = url;
  }

  function wireDropzone() {
    el.fileInput.addEventListener("change", () => {
      acceptFile(el.fileInput.files[0]);
      // Lets the person pick the same file again after fixing a problem.
      el.fileInput.value = "";
    });
    // Chromium opens a file input's picker on Space only; Enter is what people try first.
    el.fileInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        el.fileInput.click();
      }
    });
    for (const type of ["dragenter", "dragover"]) {
      el.dropzone.addEventListener(type, (event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        el.dropzone.classList.add("dragging");
      });
    }
    for (const type of ["dragleave", "dragend"]) {
      el.dropzone.addEventListener(type, (event) => {
        if (!el.dropzone.contains(event.relatedTarget)) el.dropzone.classList.remove("dragging");
      });
    }
    el.dropzone.addEventListener("drop", (event) => {
      event.preventDefault();
      el.dropzone.classList.remove("dragging");
      const files = event.dataTransfer ? event.dataTransfer.files : null;
      if (files && files.length) acceptFile(files[0]);
    });
    // A photo dropped next to the zone must not navigate away from the page.
    for (const type of ["dragover", "drop"]) {
      window.addEventListener(type, (event) => {
        if (!el.dropzone.contains(event.target)) event.preventDefault();
      });
    }
  }

  // ---------------------------------------------------------------- stylize
  let ticker = null;

  function setBusy(busy) {
    state.busy = busy;
    el.form.setAttribute("aria-busy", String(busy));
    el.button.classList.toggle("working", busy);
    el.dropzone.classList.toggle("disabled", busy);
    el.fileInput.disabled = busy;
    if (busy) {
      const started = performance.now();
      el.buttonLabel.textContent = "Stylizing…";
      el.elapsed.textContent = formatSeconds(0);
      ticker = setInterval(() => {
        el.elapsed.textContent = formatSeconds(performance.now() - started);
      }, 100);
    } else {
      clearInterval(ticker);
      el.buttonLabel.textContent = "Stylize";
      el.elapsed.textContent = "";
    }
    updateButton();
  }

  async function stylize(event) {
    event.preventDefault();
    const model = selectedModel();
    if (state.busy || !state.file || !model) return;
    clearError();
    const file = state.file;
    const strength = Number(el.strength.value);
    const keepColors = el.preserveColors.checked;
    const data = new FormData();
    data.append("model", model.id);
    data.append("file", file, file.name);
    data.append("strength", String(strength));
    data.append("preserve_colors", keepColors ? "true" : "false");

    setBusy(true);
    el.status.textContent = `Painting your photo in the style of ${model.name}…`;
    const started = performance.now();
    try {
      const response = await fetch(`${API}/stylize`, {
        method: "POST", body: data, signal: AbortSignal.timeout(STYLIZE_TIMEOUT_MS),
      });
      const body = await readBody(response);
      if (!response.ok || !body || !body.image_url) {
        el.status.textContent = "";
        showError(response.ok ? "The server answered with something unexpected. Please try again."
          : describeFailure(response, body, "photo"));
        return;
      }
      const image = await fetch(body.image_url, { signal: AbortSignal.timeout(60_000) });
      if (!image.ok) {
        el.status.textContent = "";
        showError(describeFailure(image, await readBody(image), "image"));
        return;
      }
      const blob = await image.blob();
      await showResult(body, blob, file, model, performance.now() - started);
    } catch (error) {
      el.status.textContent = "";
      showError(networkFailure(error));
    } finally {
      setBusy(false);
    }
  }

  async function showResult(body, blob, file, model, elapsedMs) {
    if (state.resultUrl) URL.revokeObjectURL(state.resultUrl);
    state.resultUrl = URL.createObjectURL(blob);
    state.requestId = body.request_id;

    // Wait for the picture to decode so the result appears in one piece.
    el.resultImg.src = state.resultUrl;
    try {
      await el.resultImg.decode();
    } catch {
      // Shown anyway; the browser will render what it can.
    }
    if (state.shownOriginalUrl && state.shownOriginalUrl !== state.previewUrl) {
      URL.revokeObjectURL(state.shownOriginalUrl);
    }
    state.shownOriginalUrl = state.previewUrl;
    el.resultOriginal.src = state.previewUrl;
    el.resultCaption.textContent = `${model.name}`;
    const details = [
      `${body.width} × ${body.height} px`,
      `version ${body.version}`,
      `strength ${Math.round(body.strength * 100)}%`,
      body.preserve_colors ? "original colours kept" : "painting colours",
      `ready in ${formatSeconds(elapsedMs)}`,
    ];
    el.resultMeta.textContent = details.join(" · ");
    el.download.href = state.resultUrl;
    el.download.download = downloadName(file.name, model);
    resetFeedback();
    el.result.hidden = false;
    el.status.textContent = `Done in ${formatSeconds(elapsedMs)}.`;
    // Move keyboard and screen-reader focus to the new content.
    el.resultTitle.focus({ preventScroll: true });
    el.result.scrollIntoView({ behavior: prefersMotion() ? "smooth" : "auto", block: "start" });
  }

  // ---------------------------------------------------------------- feedback
  function resetFeedback() {
    el.feedbackForm.reset();
    el.feedbackForm.querySelector("fieldset").disabled = false;
    el.feedbackButton.disabled = true;
    el.feedbackStatus.textContent = "";
    el.feedbackStatus.classList.remove("ok");
  }

  async function sendFeedback(event) {
    event.preventDefault();
    const rating = el.feedbackForm.querySelector("input[name=rating]:checked");
    if (!rating || !state.requestId) return;
    const comment = el.comment.value.trim();
    const fieldset = el.feedbackForm.querySelector("fieldset");
    el.feedbackButton.disabled = true;
    el.feedbackStatus.textContent = "Sending…";
    try {
      const response = await fetch(`${API}/feedback`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ request_id: state.requestId, rating: rating.value,
                               comment: comment || null }),
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status === 201) {
        fieldset.disabled = true;
        el.feedbackStatus.classList.add("ok");
        el.feedbackStatus.textContent = "Thank you! Your rating was saved.";
        return;
      }
      el.feedbackStatus.textContent = "";
      showError(`Your rating was not saved. ${describeFailure(response, await readBody(response), "rating")}`);
    } catch (error) {
      el.feedbackStatus.textContent = "";
      showError(`Your rating was not saved. ${networkFailure(error)}`);
    }
    el.feedbackButton.disabled = false;
  }

  // ---------------------------------------------------------------- start
  function init() {
    el.maxSize.textContent = formatBytes(MAX_BYTES);
    el.errorClose.addEventListener("click", clearError);
    el.strength.addEventListener("input", () => {
      el.strengthValue.textContent = `${Math.round(Number(el.strength.value) * 100)}%`;
    });
    el.modelList.addEventListener("change", updateButton);
    el.form.addEventListener("submit", stylize);
    el.feedbackForm.addEventListener("change", () => {
      el.feedbackButton.disabled = !el.feedbackForm.querySelector("input[name=rating]:checked");
    });
    el.feedbackForm.addEventListener("submit", sendFeedback);
    el.resultTitle.tabIndex = -1;
    wireDropzone();
    loadModels();
  }

  init();
})();
