package dev.sparkllm.preprocessing.steps;

/** Base of the steps: holds the step's stable name, so a step only implements its work. */
public abstract class NamedStep implements DocumentStep {
  private static final long serialVersionUID = 1L;
  private final String name;

  protected NamedStep(String name) {
    this.name = name;
  }

  @Override
  public final String name() {
    return name;
  }
}
