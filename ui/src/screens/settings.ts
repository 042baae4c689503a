// Preferences, passphrase, backup and restore, export of all my data, language.
import { api, type Sensitivity } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import { busy, field, select } from "../ui";

function passwordInput(id: string): HTMLInputElement {
  return h("input", { type: "password", id, autocomplete: "off" });
}

export async function renderSettings(main: HTMLElement): Promise<void> {
  const settings = await api.settings();
  const language = select([["", t("settings.language.system")], ["fr", "Français"], ["en", "English"]], settings.language ?? "", { id: "settings-language" });
  const autoLock = h("input", { type: "number", min: 1, max: 240, value: settings.auto_lock_minutes, id: "settings-autolock" });
  const purchases = select((["share_freely", "ask_me", "never_share"] as Sensitivity[]).map((s) => [s, t(`sensitivity.${s}`)]), settings.purchases_sensitivity, { id: "settings-purchases" });
  const prefsOut = h("div", { class: "out" });
  const savePrefs = h("button", { class: "primary", id: "settings-save" }, t("common.save"));
  savePrefs.addEventListener("click", () =>
    void busy(savePrefs, prefsOut, async () => {
      const chosenLanguage = language.value || null;
      await api.setSettings({ language: chosenLanguage, auto_lock_minutes: Number(autoLock.value), purchases_sensitivity: purchases.value as Sensitivity });
      if (chosenLanguage !== settings.language) window.dispatchEvent(new CustomEvent("tessera:language", { detail: chosenLanguage }));
      return t("settings.saved");
    }),
  );

  const current = passwordInput("passphrase-current");
  const next = passwordInput("passphrase-new");
  const passOut = h("div", { class: "out" });
  const changePass = h("button", { class: "primary" }, t("settings.passphrase"));
  changePass.addEventListener("click", () =>
    void busy(changePass, passOut, async () => {
      await api.changePassphrase(current.value, next.value);
      current.value = "";
      next.value = "";
      return t("settings.passphrase_changed");
    }),
  );

  const backupPass = passwordInput("backup-passphrase");
  const backupOut = h("div", { class: "out" });
  const backup = h("button", { class: "primary", id: "backup-create" }, t("settings.backup_create"));
  backup.addEventListener("click", () => void busy(backup, backupOut, async () => { const file = await api.backup(backupPass.value); return file ? t("settings.backup_done", { file }) : null; }));
  const restore = h("button", { class: "quiet", id: "backup-restore" }, t("settings.restore"));
  restore.addEventListener("click", () =>
    void busy(restore, backupOut, async () => {
      const report = await api.restore(backupPass.value);
      return report ? t("settings.restore_done", { facts: report.facts, purchases: report.purchases, packets: report.packets }) : null;
    }),
  );

  const exportPass = passwordInput("export-passphrase");
  const exportOut = h("div", { class: "out" });
  const exportButton = h("button", { class: "primary", id: "export-create" }, t("settings.export_create"));
  exportButton.addEventListener("click", () => void busy(exportButton, exportOut, async () => { const file = await api.exportData(exportPass.value); return file ? t("settings.export_done", { file }) : null; }));

  main.replaceChildren(
    h("h1", {}, t("settings.title")),
    h("section", { class: "card" }, h("div", { class: "row" }, field(t("settings.language"), language), field(t("settings.auto_lock"), autoLock), field(t("settings.purchases"), purchases)), savePrefs, prefsOut),
    h("section", { class: "card" }, h("h2", {}, t("settings.passphrase")), h("div", { class: "row" }, field(t("settings.current"), current), field(t("settings.new"), next)), changePass, passOut),
    h("section", { class: "card" }, h("h2", {}, t("settings.backup")), h("p", {}, t("settings.backup_intro")), field(t("settings.backup_passphrase"), backupPass), h("div", { class: "actions" }, backup, restore), backupOut),
    h("section", { class: "card" }, h("h2", {}, t("settings.export")), h("p", {}, t("settings.export_intro")), field(t("settings.backup_passphrase"), exportPass), exportButton, exportOut),
  );
}
