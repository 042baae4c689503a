// The app shell: welcome (create / unlock), then five screens in a calm sidebar layout.
import { api } from "./api";
import { clear, h } from "./dom";
import { setLanguage, t } from "./i18n";
import { renderLedger } from "./screens/ledger";
import { renderProfile } from "./screens/profile";
import { renderPurchases } from "./screens/purchases";
import { renderRequests } from "./screens/requests";
import { renderSettings } from "./screens/settings";
import { renderWelcome } from "./screens/welcome";

type Screen = "profile" | "purchases" | "requests" | "ledger" | "settings";
const screens: Record<Screen, (main: HTMLElement) => Promise<void>> = {
  profile: renderProfile,
  purchases: renderPurchases,
  requests: renderRequests,
  ledger: renderLedger,
  settings: renderSettings,
};

const root = document.getElementById("app") as HTMLElement;
let shellShown = false;
let systemLanguage = "fr";

async function welcome(): Promise<void> {
  shellShown = false;
  const status = await api.status();
  systemLanguage = status.system_language;
  setLanguage(status.language ?? status.system_language);
  clear(root);
  renderWelcome(root, status.vault_exists, (language) => {
    setLanguage(language ?? systemLanguage);
    showShell("profile");
  });
}

export function applyLanguage(language: string | null): void {
  setLanguage(language ?? systemLanguage);
}

function showShell(screen: Screen): void {
  shellShown = true;
  clear(root);
  const main = h("main", { id: "main", tabindex: "-1" });
  const nav = h(
    "nav",
    { class: "sidebar", "aria-label": "Tessera" },
    h("div", { class: "brand" }, h("img", { src: "/tessera.svg", alt: "", width: 36, height: 36 }), h("div", {}, h("strong", {}, "Tessera"), h("small", {}, t("app.tagline")))),
    h(
      "ul",
      {},
      ...(Object.keys(screens) as Screen[]).map((name) =>
        h(
          "li",
          {},
          h("button", { class: name === screen ? "nav-item active" : "nav-item", "data-nav": name, "aria-current": name === screen ? "page" : null, onclick: () => showShell(name) }, t(`nav.${name}`)),
        ),
      ),
    ),
    h("button", { class: "nav-lock", "data-nav": "lock", onclick: async () => { await api.lock(); await welcome(); } }, t("nav.lock")),
  );
  root.append(h("div", { class: "layout" }, nav, main));
  void screens[screen](main).then(() => main.focus());
}

// Auto-lock happens in the app; the page notices within a few seconds and shows the unlock screen.
setInterval(async () => {
  if (!shellShown) return;
  const status = await api.status();
  if (!status.unlocked) await welcome();
}, 3000);

// Activity postpones auto-lock (at most one call every 15 seconds).
let lastTouch = 0;
for (const event of ["keydown", "pointerdown", "wheel"]) {
  window.addEventListener(event, () => {
    const now = Date.now();
    if (shellShown && now - lastTouch > 15000) {
      lastTouch = now;
      void api.touch();
    }
  });
}

window.addEventListener("tessera:language", (e) => {
  applyLanguage((e as CustomEvent<string | null>).detail);
  showShell("settings");
});

void welcome();
