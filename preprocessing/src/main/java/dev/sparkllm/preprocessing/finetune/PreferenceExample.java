package dev.sparkllm.preprocessing.finetune;

import java.io.Serializable;

/**
 * One preference pair as {@link FinetuneData} keeps it (a {@code prompt}/{@code chosen}/{@code
 * rejected} JSONL row that passed every check): the prompt and the preferred and the rejected
 * response, as given. DPO consumes these.
 */
public record PreferenceExample(String prompt, String chosen, String rejected)
    implements Serializable {}
