// Starts the console's Web Worker: wasm-bindgen's no-modules glue, then the WASM module.
// Relative URLs resolve against this script, so the console works from any S3 prefix.
importScripts("./worker.js");
wasm_bindgen({ module_or_path: "./worker_bg.wasm" });
