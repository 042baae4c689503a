// The app shell: welcome (create / unlock / recover / restore), then five screens in a sidebar layout that stays
// in place. The vault locks with the Lock button, Ctrl+L, or by itself (idle, sleep, screen lock): Rust pushes
// that last one, and the page drops everything it shows at once.
import { api, watchIncoming, watchLocks, type LockReason } from "./api";
import { clear, h } from "./dom";
import { setLanguage, t } from "./i18n";
import { renderLedger } from "./screens/ledger";
import { renderProfile } from "./screens/profile";
import { renderPurchases } from "./screens/purchases";
import { forgetRequest, isRequestWaiting, renderRequests, requestArrived } from "./screens/requests";
import { renderSettings } from "./screens/settings";
import { renderWelcome } from "./screens/welcome";
import { notice } from "./ui";

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
let chosenLanguage: string | null = null;

/** The language chosen in settings, else the system's. Kept when the vault locks, so the lock screen speaks it. */
function applyLanguage(language: string | null): void {
  chosenLanguage = language;
  setLanguage(language ?? systemLanguage);
}

async function welcome(message?: HTMLElement): Promise<void> {
  shellShown = false;
  forgetRequest();
  const status = await api.appStatus();
  systemLanguage = status.system_language;
  applyLanguage(status.language ?? chosenLanguage);
  clear(root);
  renderWelcome(root, status.vault_exists, (language) => {
    applyLanguage(language);
    showShell(isRequestWaiting() ? "requests" : "profile");
  }, message);
  if (isRequestWaiting()) showWaitingNotice();
}

// A request opened from outside the window (a `tessera://` link, a request file; a second launch hands it to this
// window): with the vault open, the requests screen opens it at once; locked, the welcome card says one waits.
function incomingRequest(): void {
  requestArrived();
  if (shellShown) showShell("requests");
  else showWaitingNotice();
}

function showWaitingNotice(): void {
  const card = document.querySelector("main.welcome");
  if (!card || card.querySelector("#incoming-waiting")) return;
  const waiting = notice("info", t("requests.incoming_waiting"));
  waiting.id = "incoming-waiting";
  card.querySelector("h1")?.after(waiting);
}

function locked(reason: LockReason | "user"): void {
  // Nothing of the vault stays on screen, not even for a moment.
  shellShown = false;
  forgetRequest();
  clear(root);
  document.querySelector("dialog")?.remove();
  void welcome(notice("info", t(`lock.${reason}`)));
}

async function lockNow(): Promise<void> {
  await api.lock();
  locked("user");
}

let currentScreen: Screen = "profile";

function showShell(screen: Screen): void {
  const firstShown = !shellShown;
  shellShown = true;
  currentScreen = screen;
  if (firstShown) void retryOutbox();
  clear(root);
  const main = h("main", { id: "main", tabindex: "-1" });
  const nav = h(
    "nav",
    { class: "sidebar", "aria-label": t("nav.label") },
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
    h("button", { class: "nav-lock", "data-nav": "lock", "aria-keyshortcuts": "Control+L", title: t("nav.lock_hint"), onclick: () => void lockNow() }, t("nav.lock")),
  );
  root.append(h("div", { class: "layout" }, nav, main));
  void screens[screen](main).then(() => main.focus());
}

// What the person shared or revoked and could not be sent waits in the vault's outbox: while the vault is
// open, what is due (its wait after a failure over; the vault doubles it, 30 s to an hour) is sent again.
// Nothing due: no connection is opened. Nothing else ever goes on the network by itself.
let retrying = false;
async function retryOutbox(): Promise<void> {
  if (!shellShown || retrying) return;
  retrying = true;
  try {
    const pass = await api.outboxSend(false);
    if (pass.sent.some((s) => s.outcome === "delivered") && shellShown && currentScreen === "ledger") {
      const main = document.getElementById("main");
      if (main && !document.querySelector("dialog")) await renderLedger(main);
    }
  } catch {
    // Locked meanwhile, or the vault is busy: the next pass tries again.
  } finally {
    retrying = false;
  }
}
setInterval(() => void retryOutbox(), 20000);

// Ctrl+L locks at once, from anywhere.
window.addEventListener("keydown", (e) => {
  if (e.ctrlKey && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "l" && shellShown) {
    e.preventDefault();
    void lockNow();
  }
});

// Activity postpones auto-lock (at most one call every 15 seconds; what is typed never goes with it).
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

void watchLocks((reason) => locked(reason))
  .then(() => welcome())
  .then(() => watchIncoming(incomingRequest));
