package dev.chelsea.tools.cli;

/** A bad command line: the message says what is wrong; the usage is printed after it. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
