//! Nothing to import: the end-to-end tests live in `tests/`, the program under test in `src/bin/`.
