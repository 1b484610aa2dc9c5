package dev.chelsea.engine.backend;

/**
 * Whether a backend can run here, and why (the device found, or what is missing).
 *
 * @param available whether models can load on it
 * @param detail    the device (when available) or the reason it is not, in one line
 */
public record Availability(boolean available, String detail) {
    public static Availability yes(String device) {
        return new Availability(true, device);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
