package dev.chelsea.quarkus.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Without the Vector API module the boot fails with the one-line fix, not a NoClassDefFoundError. */
class VectorApiCheckTest {
    @Test
    void aLayerWithoutTheModuleGetsTheFix() {
        var e = assertThrows(io.quarkus.runtime.configuration.ConfigurationException.class, () -> VectorApiCheck.require(ModuleLayer.empty()));
        assertEquals("Chelsea needs the Vector API: start the JVM with --add-modules jdk.incubator.vector "
                + "(java --add-modules jdk.incubator.vector -jar target/quarkus-app/quarkus-run.jar)", e.getMessage());
        assertEquals(0, e.getStackTrace().length, "the message is the whole story");
    }

    @Test
    void theTestJvmHasTheModule() {
        assertDoesNotThrow(() -> VectorApiCheck.require(ModuleLayer.boot()));
    }
}
