import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** Builds the dashboard into dist/, which the API serves at `/`; `vite dev` proxies the API on :4000. */
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: { "/graphql": "http://127.0.0.1:4000", "/demo": "http://127.0.0.1:4000" },
  },
});
