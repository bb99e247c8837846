//! haproxy-emulator: serves HAProxy Runtime API replies recorded from real HAProxy.
