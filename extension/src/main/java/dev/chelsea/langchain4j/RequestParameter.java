package dev.chelsea.langchain4j;

/**
 * The names under which refusals name a request parameter: those of LangChain4j's
 * {@code ChatRequestParameters} and {@link ChelseaChatRequestParameters}, plus {@code messages}
 * (and {@code messages[i]}, {@code messages[i].content} for the i-th message of the request). A
 * server translates them into its own field names.
 */
public final class RequestParameter {
    public static final String MESSAGES = "messages";
    public static final String TEMPERATURE = "temperature";
    public static final String TOP_P = "topP";
    public static final String TOP_K = "topK";
    public static final String MIN_P = "minP";
    public static final String REPETITION_PENALTY = "repetitionPenalty";
    public static final String SEED = "seed";
    public static final String MAX_OUTPUT_TOKENS = "maxOutputTokens";
    public static final String STOP_SEQUENCES = "stopSequences";
    public static final String TOOL_SPECIFICATIONS = "toolSpecifications";
    public static final String TOOL_CHOICE = "toolChoice";
    public static final String RESPONSE_FORMAT = "responseFormat";
    public static final String FREQUENCY_PENALTY = "frequencyPenalty";
    public static final String PRESENCE_PENALTY = "presencePenalty";

    private RequestParameter() {
    }

    /** {@code messages[i]}, or with a field, {@code messages[i].field}. */
    public static String message(int index, String field) {
        return MESSAGES + "[" + index + "]" + (field == null ? "" : "." + field);
    }
}
