// The dashboard in Telegram: reads the launch parameters Telegram put after "#" (without
// Telegram's script, which may not load), and loads each page with that signed launch data,
// which the server checks on every request. Nothing else is stored.
(function () {
  "use strict";
  const page = document.getElementById("page");
  const base = page.dataset.base;
  const launch = new URLSearchParams(window.location.hash.slice(1));
  const telegram = () => (window.Telegram && window.Telegram.WebApp) || null;

  function remembered(name, given) {
    // Kept for this tab only, so that a reload after navigating still has the launch data.
    if (given) {
      window.sessionStorage.setItem("chibo." + name, given);
      return given;
    }
    return window.sessionStorage.getItem("chibo." + name) || "";
  }

  const launched = remembered("initData", launch.get("tgWebAppData"));
  // Telegram's script, once loaded, knows the launch data too (it reads the same place).
  const initData = () => launched || (telegram() && telegram().initData) || "";
  const colour = /^#[0-9a-fA-F]{3,8}$/;

  function applyTheme(theme) {
    for (const [name, value] of Object.entries(theme || {})) {
      if (typeof value === "string" && colour.test(value)) {
        document.documentElement.style.setProperty("--tg-theme-" + name.replace(/_/g, "-"), value);
      }
    }
  }

  try {
    applyTheme(JSON.parse(remembered("theme", launch.get("tgWebAppThemeParams")) || "{}"));
  } catch (ignored) {
    // A theme that is not JSON leaves the page's own colours.
  }

  function apiPath(path) {
    return base + "/api" + path.slice(base.length);
  }

  let latest = 0;

  async function load(path) {
    // Of two pages asked in turn, only the later one is shown, whichever answers last.
    const asked = ++latest;
    page.dataset.status = "loading";
    let response;
    try {
      response = await fetch(apiPath(path), {
        headers: { Authorization: "tma " + initData() },
        cache: "no-store",
      });
    } catch (error) {
      page.dataset.status = "offline";
      return;
    }
    const content = await response.text();
    if (asked !== latest) {
      return;
    }
    page.innerHTML = content;
    page.dataset.status = String(response.status);
    window.scrollTo(0, 0);
    showBack(path !== base + "/" && window.history.length > 1);
  }

  function showBack(wanted) {
    // Telegram's own back button, in its header, when the script is there.
    const app = telegram();
    if (app && app.BackButton) {
      if (wanted) {
        app.BackButton.show();
      } else {
        app.BackButton.hide();
      }
    }
  }

  async function download(link) {
    let response;
    try {
      response = await fetch(link.href, { headers: { Authorization: "tma " + initData() } });
    } catch (error) {
      page.dataset.status = "offline";
      return;
    }
    if (!response.ok) {
      page.innerHTML = await response.text();
      page.dataset.status = String(response.status);
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="([^"]+)"/.exec(disposition);
    const saving = document.createElement("a");
    saving.href = URL.createObjectURL(await response.blob());
    saving.download = named ? named[1] : "chibo.docx";
    document.body.appendChild(saving);
    saving.click();
    saving.remove();
  }

  async function sendToChat(link) {
    // The bot sends the file into the chat: what a phone's Telegram keeps, as any document.
    let response;
    try {
      response = await fetch(link.href, {
        method: "POST",
        headers: { Authorization: "tma " + initData() },
      });
    } catch (error) {
      page.dataset.status = "offline";
      return;
    }
    if (!response.ok) {
      page.innerHTML = await response.text();
      page.dataset.status = String(response.status);
      return;
    }
    const said = document.createElement("span");
    said.className = "sent";
    said.textContent = await response.text();
    link.replaceWith(said);
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-nav], a[data-download], a[data-send]");
    if (!link || event.defaultPrevented) {
      return;
    }
    event.preventDefault();
    if (link.hasAttribute("data-download")) {
      download(link);
      return;
    }
    if (link.hasAttribute("data-send")) {
      sendToChat(link);
      return;
    }
    const target = new URL(link.href);
    window.history.pushState(null, "", target.pathname + target.search);
    load(target.pathname + target.search);
  });
  window.addEventListener("popstate", () => load(window.location.pathname + window.location.search));

  let started = null;
  function startTelegram() {
    const app = telegram();
    if (app && app !== started) {
      started = app;
      app.ready();
      app.expand();
      if (app.BackButton) {
        app.BackButton.onClick(() => window.history.back());
      }
    }
  }
  startTelegram();
  // The script is loaded without blocking the page: it may come after this one.
  window.addEventListener("load", startTelegram);
  load(window.location.pathname + window.location.search);
})();
