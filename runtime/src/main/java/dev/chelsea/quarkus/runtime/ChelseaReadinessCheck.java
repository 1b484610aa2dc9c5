package dev.chelsea.quarkus.runtime;

import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.model.Model;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Ready when every enabled model is loaded; reports each model, its file and its queue. */
@Readiness
@ApplicationScoped
public class ChelseaReadinessCheck implements HealthCheck {
    @Inject
    ChelseaModels models;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("Chelsea models");
        boolean up = true;
        for (ChelseaModels.Entry e : models.entries()) {
            if (!e.enabled()) {
                b.withData(e.name(), "disabled");
                continue;
            }
            try {
                Model m = e.loaded().model();
                b.withData(e.name(), String.format("%s (%s, %s, context %d, %s of weights) on %s; %d running, %d waiting",
                        m.name(), m.architecture(), m.path().getFileName(), m.contextLength(),
                        dev.chelsea.engine.model.Bytes.human(m.weightBytes()), m.backend().description(),
                        e.queue().running(), e.queue().waiting()));
            } catch (RuntimeException ex) {
                up = false;
                b.withData(e.name(), "not available: " + ex.getMessage());
            }
        }
        return b.status(up).build();
    }
}
