// Preferences, passphrase, backup and restore (asked and confirmed, naming what will be replaced), export of
// all my data. Every new passphrase is typed twice, with its strength shown.
import { api, type Sensitivity } from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import { busy, confirmDialog, countsText, field, newPassphrase, passwordInput, select } from "../ui";
import { backupFacts } from "./welcome";

export async function renderSettings(main: HTMLElement): Promise<void> {
  const settings = await api.settingsGet();
  const language = select([["", t("settings.language.system")], ["fr", "Français"], ["en", "English"]], settings.language ?? "", { id: "settings-language" });
  const autoLock = h("input", { type: "number", min: 1, max: 240, value: settings.auto_lock_minutes, id: "settings-autolock" });
  const purchases = select((["share_freely", "ask_me", "never_share"] as Sensitivity[]).map((s) => [s, t(`sensitivity.${s}`)]), settings.purchases_sensitivity, { id: "settings-purchases" });
  const prefsOut = h("div", { class: "out" });
  const savePrefs = h("button", { class: "primary", id: "settings-save" }, t("common.save"));
  savePrefs.addEventListener("click", () =>
    void busy(savePrefs, prefsOut, async () => {
      const chosenLanguage = language.value || null;
      await api.settingsSet({ language: chosenLanguage, auto_lock_minutes: Number(autoLock.value), purchases_sensitivity: purchases.value as Sensitivity });
      if (chosenLanguage !== settings.language) window.dispatchEvent(new CustomEvent("tessera:language", { detail: chosenLanguage }));
      return t("settings.saved");
    }),
  );

  const current = passwordInput("passphrase-current", "current-password");
  const next = newPassphrase("passphrase-new", t("settings.new"), t("welcome.create.hint"));
  const passOut = h("div", { class: "out" });
  const changePass = h("button", { class: "primary", id: "passphrase-change", type: "submit" }, t("settings.passphrase"));
  const passForm = h("form", {}, field(t("settings.current"), current), next.element, changePass, passOut);
  passForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = next.read();
    if (chosen === null) return;
    void busy(changePass, passOut, async () => {
      await api.passphraseChange(current.value, chosen);
      current.value = "";
      next.clear();
      return t("settings.passphrase_changed");
    });
  });

  const backupPass = newPassphrase("backup-passphrase", t("settings.backup_passphrase"), t("settings.backup_passphrase_hint"));
  const backupOut = h("div", { class: "out" });
  const backup = h("button", { class: "primary", id: "backup-create", type: "submit" }, t("settings.backup_create"));
  const backupForm = h("form", {}, backupPass.element, backup, backupOut);
  backupForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = backupPass.read();
    if (chosen === null) return;
    void busy(backup, backupOut, async () => {
      const file = await api.backupCreate(chosen);
      if (!file) return null;
      backupPass.clear();
      return t("settings.backup_done", { file });
    });
  });

  const restorePass = passwordInput("restore-passphrase", "off");
  const restoreOut = h("div", { class: "out" });
  const restore = h("button", { class: "quiet", id: "backup-restore" }, t("settings.restore"));
  restore.addEventListener("click", () =>
    void busy(restore, restoreOut, async () => {
      const summary = await api.backupInspect(restorePass.value);
      if (!summary) return null;
      const now = summary.replaces;
      const body = [
        t("settings.restore_file", { file: summary.file_name }),
        backupFacts(summary),
        now ? t("settings.restore_replaces", { what: countsText(now) }) : "",
        t("settings.restore_warning"),
      ].filter(Boolean);
      const sure = await confirmDialog(t("settings.restore_title"), body, t("settings.restore_confirm"));
      if (!sure) return t("settings.restore_cancelled");
      const done = await api.backupRestore(restorePass.value);
      restorePass.value = "";
      const status = await api.appStatus();
      if (status.language !== settings.language) window.dispatchEvent(new CustomEvent("tessera:language", { detail: status.language }));
      const restored = t("settings.restore_done", { what: countsText(done.holds) });
      return done.holds.held > 0 ? `${restored} ${t("settings.restore_held", { count: done.holds.held })}` : restored;
    }),
  );

  const exportPass = newPassphrase("export-passphrase", t("settings.export_passphrase"), t("settings.backup_passphrase_hint"));
  const exportOut = h("div", { class: "out" });
  const exportButton = h("button", { class: "primary", id: "export-create", type: "submit" }, t("settings.export_create"));
  const exportForm = h("form", {}, exportPass.element, exportButton, exportOut);
  exportForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = exportPass.read();
    if (chosen === null) return;
    void busy(exportButton, exportOut, async () => {
      const file = await api.exportData(chosen);
      if (!file) return null;
      exportPass.clear();
      return t("settings.export_done", { file });
    });
  });

  main.replaceChildren(
    h("h1", {}, t("settings.title")),
    h("section", { class: "card", "aria-labelledby": "settings-prefs" }, h("h2", { id: "settings-prefs" }, t("settings.preferences")), h("div", { class: "row" }, field(t("settings.language"), language), field(t("settings.auto_lock"), autoLock, t("settings.auto_lock_hint")), field(t("settings.purchases"), purchases)), savePrefs, prefsOut),
    h("section", { class: "card", "aria-labelledby": "settings-pass" }, h("h2", { id: "settings-pass" }, t("settings.passphrase")), passForm),
    h("section", { class: "card", "aria-labelledby": "settings-backup" }, h("h2", { id: "settings-backup" }, t("settings.backup")), h("p", {}, t("settings.backup_intro")), backupForm),
    h("section", { class: "card", "aria-labelledby": "settings-restore" }, h("h2", { id: "settings-restore" }, t("settings.restore_heading")), h("p", {}, t("settings.restore_intro")), field(t("settings.backup_passphrase"), restorePass, t("settings.restore_hint")), h("div", { class: "actions" }, restore), restoreOut),
    h("section", { class: "card", "aria-labelledby": "settings-export" }, h("h2", { id: "settings-export" }, t("settings.export")), h("p", {}, t("settings.export_intro")), exportForm),
  );
}
