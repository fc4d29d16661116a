import Foundation
import VAEPipeCore

/// Epoch reports as Trainer writes them to metrics.jsonl.
func epochReport(_ epoch: Int, loss: Double, test: Double? = nil) -> EpochReport {
    var fields: [String: Any] = [
        "epoch": epoch, "train_loss": loss, "train_reconstruction": loss * 0.8, "train_kl": loss * 0.2,
        "seconds": 2.5, "data_wait_seconds": 0, "forward_seconds": 1, "backward_seconds": 1,
        "optimizer_seconds": 0.5, "steps": 10, "examples_per_second": 4000,
    ]
    if let test { fields.merge(["test_neg_elbo": test, "test_reconstruction": test * 0.8, "test_kl": test * 0.2]) { $1 } }
    return try! JSONDecoder().decode(EpochReport.self, from: JSONSerialization.data(withJSONObject: fields))
}
