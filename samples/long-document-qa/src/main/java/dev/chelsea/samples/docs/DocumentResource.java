package dev.chelsea.samples.docs;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestStreamElementType;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;

@Path("/documents")
@Tag(name = "Documents", description = "Register documents and ask questions about them")
public class DocumentResource {
    @Inject
    Documents documents;

    @Inject
    QuestionAnswering answering;

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register a document sent as JSON text",
            description = "A document that fits the model's context is answered from its whole text; a longer one is split into "
                    + "chunks that are embedded for retrieval (this call returns once they are indexed).")
    @APIResponse(responseCode = "201", description = "Registered", content = @Content(schema = @Schema(implementation = Api.DocumentInfo.class)))
    @APIResponse(responseCode = "400", description = "No text", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "413", description = "Larger than docs.max-document-size", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "415", description = "Not JSON", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    public Response register(Api.NewDocument body) {
        if (body == null) {
            throw new Documents.Refused(400, "send {\"title\": \"...\", \"text\": \"...\"}");
        }
        return created(documents.register(body.title(), body.text(), "api"));
    }

    @POST
    @Blocking
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register an uploaded .txt or .md file (UTF-8)")
    @APIResponse(responseCode = "201", description = "Registered", content = @Content(schema = @Schema(implementation = Api.DocumentInfo.class)))
    @APIResponse(responseCode = "400", description = "No file, or an empty one", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "413", description = "Larger than docs.max-document-size", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "415", description = "Not a UTF-8 .txt or .md file", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    public Response upload(@RestForm("file") @Schema(type = SchemaType.STRING, format = "binary", description = "the file") FileUpload file,
                           @RestForm("title") @Schema(description = "a title; default: the first line") String title) throws IOException {
        if (file == null) {
            throw new Documents.Refused(400, "send the file as the multipart field 'file'");
        }
        String text = Documents.decode(Files.readAllBytes(file.uploadedFile()), file.fileName());
        String name = file.fileName();
        return created(documents.register(title == null || title.isBlank() ? Documents.titleOf(text, name) : title, text, "upload:" + name));
    }

    private static Response created(Document d) {
        return Response.created(URI.create("/documents/" + d.id())).entity(Api.DocumentInfo.of(d)).build();
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "List the documents, oldest first")
    public List<Api.DocumentInfo> list() {
        return documents.all().stream().map(Api.DocumentInfo::of).toList();
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "One document")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Api.DocumentInfo.class)))
    @APIResponse(responseCode = "404", description = "No such document", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    public Api.DocumentInfo get(@PathParam("id") String id) {
        return Api.DocumentInfo.of(documents.require(id));
    }

    @GET
    @Path("/{id}/text")
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(summary = "The text of one document")
    @APIResponse(responseCode = "404", description = "No such document", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    public String text(@PathParam("id") String id) {
        return documents.require(id).text();
    }

    @DELETE
    @Path("/{id}")
    @Blocking
    @Operation(summary = "Delete a document and its chunks")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", description = "No such document", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    public void delete(@PathParam("id") String id) {
        documents.delete(id);
    }

    @POST
    @Path("/{id}/ask")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Ask a question about a document")
    @RequestBody(content = @Content(schema = @Schema(implementation = Api.Question.class)))
    @APIResponse(responseCode = "200", description = "The answer", content = @Content(schema = @Schema(implementation = Api.Answer.class)))
    @APIResponse(responseCode = "400", description = "No question, or one too long", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "404", description = "No such document", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "503", description = "The model is busy: retry after Retry-After seconds", content = @Content(schema = @Schema(implementation = Api.Error.class)))
    public Api.Answer ask(@PathParam("id") String id, Api.Question body) {
        Document d = documents.require(id);
        return answering.ask(d, documents.checkQuestion(body == null ? null : body.question()));
    }

    @POST
    @Path("/{id}/ask/stream")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Ask a question, the answer streamed as server-sent JSON events",
            description = "Events: {\"type\":\"sources\",\"sources\":[...]} in retrieval mode, {\"type\":\"token\",\"text\":\"...\"} pieces, "
                    + "then {\"type\":\"done\",\"finishReason\":...,\"usage\":{...}} (or {\"type\":\"error\",\"message\":...}). "
                    + "Closing the connection stops the model.")
    @RequestBody(content = @Content(schema = @Schema(implementation = Api.Question.class)))
    @APIResponse(responseCode = "200", description = "The event stream",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(implementation = Api.AskEvent.class)))
    @APIResponse(responseCode = "400", description = "No question, or one too long", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "404", description = "No such document", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Api.Error.class)))
    @APIResponse(responseCode = "503", description = "The model is busy", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Api.Error.class)))
    public Multi<Api.AskEvent> askStream(@PathParam("id") String id, Api.Question body) {
        Document d = documents.require(id);
        return answering.stream(d, documents.checkQuestion(body == null ? null : body.question()));
    }
}
