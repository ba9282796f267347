/* The entry form's helpers in the Wagtail admin: the period shown back as readers will see it,
   checkbox lists with a filter box, and a picker of the source document's sentences.
   Plain DOM, no inline code (the admin's Content-Security-Policy), nothing fetched but this site. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function words(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/[\u2010-\u2015]/g, "-")
      .split(/\s+/).filter(Boolean);
  }

  function matches(text, query) {
    var haystack = words(text).join(" ");
    return words(query).every(function (word) { return haystack.indexOf(word) !== -1; });
  }

  /* The words shown, in the page's language: the widget's template gives them (data-text-*, through
     Django's gettext); the English here only if an attribute is missing. */
  function say(container, name, english) {
    var value = container.getAttribute("data-text-" + name);
    return value === null ? english : value;
  }

  var DATE_FIELDS = ["start_date", "start_precision", "end_date", "end_precision", "ongoing"];

  /* “When”: the server reads the period with the same parser as the form, and says how it is shown. */
  function setUpPeriod(container) {
    var input = container.querySelector("input");
    var shown = container.querySelector(".period-input__shown");
    var url = container.getAttribute("data-period-preview");
    var update = debounce(function () {
      var text = input.value.trim();
      if (!text) { shown.textContent = ""; shown.classList.remove("period-input__shown--error"); return; }
      fetch(url + "?text=" + encodeURIComponent(text), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (input.value.trim() !== text) return;  // an answer to older typing
          shown.textContent = "";
          shown.classList.toggle("period-input__shown--error", Boolean(data.error));
          if (data.error) {
            shown.textContent = data.error;
          } else {
            fillDateFields(data);
            shown.appendChild(document.createTextNode(say(container, "shown-as", "Shown as:") + " "));
            var strong = document.createElement("strong");
            strong.textContent = data.shown;
            shown.appendChild(strong);
          }
        })
        .catch(function () { shown.textContent = ""; });
    }, 250);
    input.addEventListener("input", update);

    // The date fields (in their collapsed panel) follow the words, and setting one by hand empties the
    // words: the server reads the words when there are any, the fields otherwise.
    var fields = DATE_FIELDS.map(function (name) { return document.getElementById("id_" + name); }).filter(Boolean);
    var filling = false;
    function fillDateFields(data) {
      filling = true;
      fields.forEach(function (field) {
        var name = field.id.slice(3);
        if (field.type === "checkbox") field.checked = Boolean(data[name]);
        else field.value = data[name] || "";
        field.dispatchEvent(new Event("change", { bubbles: true }));
      });
      filling = false;
    }
    fields.forEach(function (field) {
      field.addEventListener("change", function (event) {
        // Only a person's own change of a date field replaces the words: the admin fires synthetic
        // change events on submit, which once emptied an unreadable period so that the save "succeeded"
        // without it.
        if (filling || !event.isTrusted || !input.value) return;
        input.value = "";
        shown.classList.remove("period-input__shown--error");
        shown.textContent = say(container, "field-by-field", "Set field by field below.");
      });
    });
  }

  /* Checkbox lists: the filter hides the unticked options that do not match; ticked ones stay. */
  function setUpFilteredList(container) {
    var filter = container.querySelector("[data-filtered-list-input]");
    var chosen = container.querySelector("[data-filtered-list-chosen]");
    var none = container.querySelector("[data-filtered-list-none]");
    var options = Array.prototype.slice.call(container.querySelectorAll("input[type=checkbox]"));
    function item(box) { return box.closest("label").parentElement; }  // Django's <div><label><input> text</label></div>
    function label(box) { return box.parentElement.textContent.trim(); }
    function refresh() {
      var query = filter.value, visible = 0;
      options.forEach(function (box) {
        var show = box.checked || !query || matches(label(box), query);
        item(box).hidden = !show;
        if (show) visible += 1;
      });
      none.hidden = visible > 0;
      var names = options.filter(function (box) { return box.checked; }).map(label);
      chosen.textContent = names.length ? say(container, "chosen", "Chosen:") + " " + names.join("; ") : "";
    }
    filter.addEventListener("input", refresh);
    filter.addEventListener("keydown", function (event) {
      // Enter in the filter ticks the only match instead of submitting the whole form.
      if (event.key !== "Enter") return;
      event.preventDefault();
      var shown = options.filter(function (box) { return !item(box).hidden && !box.checked; });
      if (shown.length === 1) { shown[0].checked = true; shown[0].dispatchEvent(new Event("change", { bubbles: true })); filter.value = ""; refresh(); }
    });
    options.forEach(function (box) { box.addEventListener("change", refresh); });
    refresh();
  }

  /* The quote: the chosen document's sentences, filtered by the words typed; a click (or Enter) adds one. */
  function setUpSentencePicker(container) {
    var textarea = container.querySelector("textarea");
    var filter = container.querySelector("[data-sentence-picker-filter]");
    var list = container.querySelector("[data-sentence-picker-list]");
    var status = container.querySelector("[data-sentence-picker-status]");
    var source = document.getElementById(container.getAttribute("data-source-input"));
    var section = document.getElementById(container.getAttribute("data-section-input"));
    var urlTemplate = container.getAttribute("data-sentences-url");
    var sentences = [];
    var LIMIT = 50;

    function quoted() {
      return textarea.value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean);
    }
    function render() {
      list.textContent = "";
      var query = filter.value, shown = 0, found = 0;
      sentences.forEach(function (sentence) {
        if (query && !matches(sentence.text, query)) return;
        found += 1;
        if (shown >= LIMIT) return;
        shown += 1;
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sentence-picker__sentence";
        button.textContent = sentence.text;
        var picked = quoted().indexOf(sentence.text) !== -1;
        button.setAttribute("aria-pressed", picked ? "true" : "false");
        button.addEventListener("click", function () { pick(sentence); });
        li.appendChild(button);
        list.appendChild(li);
      });
      if (!sentences.length) return;
      var count = found === 1
        ? say(container, "one-sentence", "{count} sentence")
        : say(container, "sentences", "{count} sentences");
      status.textContent = found
        ? count.replace("{count}", found)
          + (shown < found ? say(container, "first-shown", ", the first {shown} shown").replace("{shown}", shown) : "")
          + say(container, "pick", ". Pick one to quote it.")
        : say(container, "no-match", "No sentence of the document has these words.");
    }
    function pick(sentence) {
      var lines = quoted();
      var at = lines.indexOf(sentence.text);
      if (at === -1) lines.push(sentence.text); else lines.splice(at, 1);
      textarea.value = lines.join("\n");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.dispatchEvent(new Event("change", { bubbles: true }));
      if (section && !section.value && sentence.section && at === -1) {
        section.value = sentence.section;
        section.dispatchEvent(new Event("change", { bubbles: true }));
      }
      status.textContent = at === -1
        ? say(container, "quoted", "Quoted:") + " " + sentence.text
        : say(container, "removed", "Removed from the quote.");
      render();
    }
    function load() {
      sentences = [];
      list.textContent = "";
      if (!source || !source.value) {
        status.textContent = say(container, "choose-source", "Choose the source document to pick its sentences.");
        return;
      }
      status.textContent = say(container, "loading", "Loading the document's sentences…");
      fetch(urlTemplate.replace("{}", encodeURIComponent(source.value)), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
        .then(function (data) { sentences = data.sentences; render(); })
        .catch(function () {
          status.textContent = say(container, "load-failed", "The document's sentences could not be loaded; type or paste the sentence.");
        });
    }
    filter.addEventListener("input", debounce(render, 150));
    filter.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;  // Enter picks the first match, rather than submitting the form
      event.preventDefault();
      var first = list.querySelector("button");
      if (first) first.click();
    });
    if (source) source.addEventListener("change", load);
    load();
  }

  function init(root) {
    root.querySelectorAll(".period-input:not([data-ready])").forEach(function (el) { el.setAttribute("data-ready", ""); setUpPeriod(el); });
    root.querySelectorAll("[data-filtered-list]:not([data-ready])").forEach(function (el) { el.setAttribute("data-ready", ""); setUpFilteredList(el); });
    root.querySelectorAll("[data-sentence-picker]:not([data-ready])").forEach(function (el) { el.setAttribute("data-ready", ""); setUpSentencePicker(el); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
