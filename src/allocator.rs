//! The binary's allocator, mimalloc (`src/main.rs`), and the options it runs with.
//!
//! A tool call is thousands of small, short-lived allocations; with glibc's allocator
//! `malloc`/`free` were a fifth of the server's CPU per call. mimalloc's defaults, though, trade
//! memory for speed: its arenas are advised into transparent huge pages (Linux's `madvise` THP
//! mode backs them 2 MiB at a time), committed eagerly, and freed pages are kept for a second;
//! the idle RSS rose from 15.7 to 22.8 MiB (stdio) and 23.6 to 37.8 MiB (HTTP), the peak on the
//! 10k reply from 23.8 to 45.3 MiB. Built without THP (libmimalloc-sys' `no_thp`, Cargo.toml)
//! and run with lazy commit and immediate purging, it is back to 15.8 / 23.6 / 22.3 MiB at no
//! measurable CPU cost (docs/benchmarks.md).

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// `mi_option_arena_eager_commit` in the bundled mimalloc's option enum (v3, `mimalloc.h`); the
/// test below checks the number still names that option.
const ARENA_EAGER_COMMIT: mi_option_t = 4;
/// `mi_option_purge_delay`, likewise.
const PURGE_DELAY: mi_option_t = 15;

/// Sets mimalloc's options; call first thing in `main`, before the runtime starts threads.
/// mimalloc's own environment variables for these two options are overridden.
pub fn tune() {
    // SAFETY: `mi_option_set` only stores an integer in mimalloc's option table; any value is
    // valid for these two options, and it may be called at any time.
    unsafe {
        mi_option_set(ARENA_EAGER_COMMIT, 0);
        mi_option_set(PURGE_DELAY, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    #[test]
    fn the_option_numbers_name_the_options_meant() {
        // The defaults of the bundled version (options.c) identify the two entries: eager
        // commit "2 = on overcommit systems", purge delay 1000 ms. A mimalloc update that
        // renumbers the enum fails here instead of silently setting something else. (mimalloc's
        // own environment variables for these options would change the defaults read here.)
        // SAFETY: reads an integer from mimalloc's option table.
        let (eager, purge) = unsafe {
            (
                mi_option_get(ARENA_EAGER_COMMIT),
                mi_option_get(PURGE_DELAY),
            )
        };
        assert_eq!((eager, purge), (2, 1000));
    }
}
