import { defineConfig } from "vite";

// The page is embedded in the Tauri binary; everything is bundled, nothing is fetched.
export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15", sourcemap: false, assetsInlineLimit: 0 },
});
