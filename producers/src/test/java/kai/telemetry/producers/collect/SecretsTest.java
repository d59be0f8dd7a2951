package kai.telemetry.producers.collect;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretsTest {
  @Test
  void obviousSecretsAreRedactedAndTheRestOfTheLineKept() {
    assertThat(Secrets.redact("push failed: token hf_AbCdEfGhIjKlMnOpQrStUvWx at step 12"))
        .isEqualTo("push failed: token [REDACTED] at step 12");
    assertThat(
            Secrets.redact("HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWx wandb_api_key: 0123456789abcdef"))
        .isEqualTo("HF_TOKEN=[REDACTED] wandb_api_key: [REDACTED]");
    assertThat(Secrets.redact("{\"password\": \"hunter2\", \"step\": 5}"))
        .isEqualTo("{\"password\": [REDACTED], \"step\": 5}");
    assertThat(Secrets.redact("Authorization: Bearer abc.def-ghi_jkl~mno"))
        .isEqualTo("Authorization: Bearer [REDACTED]");
    assertThat(Secrets.redact("aws AKIAABCDEFGHIJKLMNOP and ghp_0123456789abcdefghijABCDEFGHIJ"))
        .isEqualTo("aws [REDACTED] and [REDACTED]");
  }

  @Test
  void ordinaryTrainingFieldsStayAsTheyAre() {
    String line = "step=10 tokens=2048 tokens_per_sec=1.5e5 loss=2.31 lr=3e-4 grad_norm=0.9";
    assertThat(Secrets.redact(line)).isEqualTo(line);
  }
}
