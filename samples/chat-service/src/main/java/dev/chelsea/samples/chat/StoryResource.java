package dev.chelsea.samples.chat;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;

@Path("/story")
@Consumes(MediaType.TEXT_PLAIN)
public class StoryResource {
    @Inject
    StoryTeller teller;

    @POST
    @Blocking
    @Produces(MediaType.TEXT_PLAIN)
    public String tell(String beginning) {
        return teller.continueStory(check(beginning));
    }

    @POST
    @Path("/stream")
    @Blocking
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<StoryEvent> stream(String beginning) {
        return teller.streamStory(check(beginning));
    }

    private static String check(String beginning) {
        if (beginning == null || beginning.isBlank()) {
            throw new BadRequestException("send the beginning of a story as plain text");
        }
        return beginning;
    }
}
