/* The residents' satisfaction survey: the configurable questionnaire as an accessible form. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast } = window.gc;
  const form = document.getElementById("survey-form");
  const box = document.getElementById("survey-questions");
  const thanks = document.getElementById("survey-thanks");
  const error = document.getElementById("survey-error");
  const en = PAGE.lang === "en";
  let survey = null;
  const text = (q) => (en && q.text_en) || q.text_zh;
  const mark = (q) => esc(q.required ? t("survey_required") : t("survey_optional"));

  function radios(q, values) {
    return `<fieldset class="choices" data-question="${esc(q.id)}" data-kind="${esc(q.kind)}">
      <legend>${esc(text(q))} ${mark(q)}</legend>
      ${values.map(([value, label], i) => `<label class="choice" for="q-${esc(q.id)}-${i}">
        <input type="radio" id="q-${esc(q.id)}-${i}" name="${esc(q.id)}" value="${esc(value)}"${q.required && i === 0 ? " required" : ""}>
        ${esc(label)}</label>`).join("")}</fieldset>`;
  }
  function question(q) {
    if (q.kind === "rating") {
      return radios(q, Array.from({ length: q.scale }, (_, i) => [String(i + 1), String(i + 1)]));
    }
    if (q.kind === "yes_no") return radios(q, [["true", t("survey_yes")], ["false", t("survey_no")]]);
    if (q.kind === "choice") return radios(q, q.options.map((o, i) => [o, (PAGE.lang === "en" && (q.options_en || [])[i]) || o]));
    return `<div data-question="${esc(q.id)}" data-kind="text"><label for="q-${esc(q.id)}">${esc(text(q))} ${mark(q)}</label>
      <textarea id="q-${esc(q.id)}" name="${esc(q.id)}" rows="3" maxlength="2000"${q.required ? " required" : ""}></textarea></div>`;
  }
  function answers() {
    const out = {}, missing = [];
    for (const q of survey.questions) {
      let value = null;
      if (q.kind === "text") {
        value = form.elements[q.id].value.trim() || null;
      } else {
        const checked = form.querySelector(`input[name="${CSS.escape(q.id)}"]:checked`);
        if (checked) value = q.kind === "rating" ? Number(checked.value) : q.kind === "yes_no" ? checked.value === "true" : checked.value;
      }
      if (value === null && q.required) missing.push(text(q));
      if (value !== null) out[q.id] = value;
    }
    return { out, missing };
  }
  async function load() {
    survey = await api("/api/v1/public/survey");
    document.getElementById("survey-heading").textContent = (en && survey.title_en) || survey.title_zh;
    document.getElementById("survey-intro").textContent = (en && survey.intro_en) || survey.intro_zh;
    const select = form.elements.stratum;
    for (const [code, name] of Object.entries(survey.strata)) select.add(new Option(name, code));
    box.innerHTML = survey.questions.map(question).join("");
    form.hidden = false;
  }
  form.addEventListener("change", () => { if (!answers().missing.length && form.elements.stratum.value) error.textContent = ""; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { out, missing } = answers();
    if (!form.elements.stratum.value) missing.unshift(t("survey_district"));
    if (missing.length) {
      error.textContent = t("survey_missing") + " " + missing.join("；");
      return;
    }
    error.textContent = "";
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const receipt = await api("/api/v1/public/survey/responses", { method: "POST", json: { stratum: form.elements.stratum.value, answers: out } });
      form.hidden = true;
      thanks.innerHTML = `<p class="big">${esc(t("survey_thanks"))}</p><p>${esc(t("survey_thanks_ref"))}: <span id="survey-receipt">${esc(receipt.id)}</span></p>
        <p><button type="button" id="survey-again">${esc(t("survey_again"))}</button></p>`;
      thanks.focus();
      document.getElementById("survey-again").addEventListener("click", () => { form.reset(); form.hidden = false; thanks.innerHTML = ""; });
    } catch (err) {
      error.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  load().catch((err) => toast(err.message));
})();
