// Create a vault (with the recovery secret shown once), unlock it, or recover it.
import { api } from "../api";
import { clear, h } from "../dom";
import { t } from "../i18n";
import { busy, field, notice } from "../ui";

type Done = (language: string | null) => void;

function passwordInput(id: string, autocomplete: string): HTMLInputElement {
  return h("input", { id, type: "password", autocomplete, required: true, spellcheck: "false" });
}

function card(title: string, ...children: (HTMLElement | null)[]): HTMLElement {
  return h(
    "section",
    { class: "welcome" },
    h("div", { class: "welcome-brand" }, h("img", { src: "/tessera.svg", alt: "", width: 48, height: 48 }), h("span", {}, "Tessera")),
    h("h1", {}, title),
    ...children,
  );
}

export function renderWelcome(root: HTMLElement, vaultExists: boolean, done: Done): void {
  if (vaultExists) renderUnlock(root, done);
  else renderCreate(root, done);
}

function renderCreate(root: HTMLElement, done: Done): void {
  const first = passwordInput("new-passphrase", "new-password");
  const second = passwordInput("repeat-passphrase", "new-password");
  const meter = h("meter", { min: 0, max: 4, value: 0, "aria-hidden": "true" });
  const meterText = h("small", { class: "hint", id: "strength-text" }, t("welcome.strength", { label: t("strength.0") }));
  first.addEventListener("input", async () => {
    const strength = await api.strength(first.value);
    meter.value = strength;
    meterText.textContent = t("welcome.strength", { label: t(`strength.${strength}`) });
  });
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "create-vault" }, t("welcome.create.submit"));
  const form = h(
    "form",
    {},
    field(t("welcome.create.passphrase"), first, t("welcome.create.hint")),
    h("div", { class: "strength" }, meter, meterText),
    field(t("welcome.create.repeat"), second),
    submit,
    out,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (first.value !== second.value) {
      out.replaceChildren(notice("error", t("welcome.create.mismatch")));
      return;
    }
    void busy(submit, out, async () => {
      const created = await api.createVault(first.value);
      first.value = "";
      second.value = "";
      renderRecoverySecret(root, created.recovery_secret, done);
    });
  });
  clear(root);
  root.append(card(t("welcome.create.title"), h("p", { class: "lead" }, t("welcome.create.intro")), form));
  first.focus();
}

function renderRecoverySecret(root: HTMLElement, secret: string, done: Done): void {
  const confirm = h("button", { class: "primary", id: "recovery-noted", onclick: () => done(null) }, t("welcome.recovery.confirm"));
  clear(root);
  root.append(card(t("welcome.recovery.title"), h("p", { class: "lead" }, t("welcome.recovery.intro")), h("p", { class: "secret", id: "recovery-secret" }, secret), confirm));
  confirm.focus();
}

function renderUnlock(root: HTMLElement, done: Done): void {
  const passphrase = passwordInput("unlock-passphrase", "current-password");
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "unlock" }, t("welcome.unlock.submit"));
  const form = h("form", {}, field(t("welcome.unlock.passphrase"), passphrase), submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(submit, out, async () => {
      const info = await api.unlock(passphrase.value);
      passphrase.value = "";
      if (info.damaged_records > 0) alertDamaged(info.damaged_records);
      done(info.language);
    });
  });
  const forgot = h("button", { class: "link", id: "forgot", onclick: () => renderRecover(root, done) }, t("welcome.unlock.forgot"));
  clear(root);
  root.append(card(t("welcome.unlock.title"), form, forgot));
  passphrase.focus();
}

function alertDamaged(count: number): void {
  window.setTimeout(() => document.getElementById("main")?.prepend(notice("warning", t("welcome.damaged", { count }))), 50);
}

function renderRecover(root: HTMLElement, done: Done): void {
  const secret = h("input", { id: "recovery-input", type: "text", autocomplete: "off", spellcheck: "false", class: "mono" });
  const next = passwordInput("recover-passphrase", "new-password");
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary" }, t("welcome.recover.submit"));
  const form = h("form", {}, field(t("welcome.recover.secret"), secret), field(t("welcome.recover.new"), next, t("welcome.create.hint")), submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(submit, out, async () => {
      const info = await api.recover(secret.value, next.value);
      secret.value = "";
      next.value = "";
      done(info.language);
    });
  });
  clear(root);
  root.append(card(t("welcome.recover.title"), form, h("button", { class: "link", onclick: () => renderUnlock(root, done) }, t("welcome.recover.back"))));
  secret.focus();
}
