// The translation unit of the umbrella library `qat` (src/CMakeLists.txt): the
// code is in the per-area libraries it links; this target builds the precompiled
// header that the cli, the tests and bench reuse.
