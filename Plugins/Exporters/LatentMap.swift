import VAEPipeCore

/// Where held-out images land in the latent space: their posterior means as a scatter coloured
/// by label, with a legend of the classes. A 2-D latent is drawn as it is (z1 across, z2 up, as
/// on the manifold); a larger one is projected onto its top two principal components, and the
/// picture's title says so, with the share of the variance the two hold.
public enum LatentMap: Exporter {
    public static let id = "latent-map"
    public static let summary = "posterior means of held-out images, coloured by label (a larger latent than 2-D projected onto its top two principal components, as the picture says)"
    public static let fileName = "latent-map.png"
    /// Points (images).
    public static let defaultCount = 2000

    public static func notApplicable(to config: ModelConfig) -> String? {
        config.latent >= 2 ? nil : "a map needs at least 2 latent dimensions and this model has 1 (see the traversals)"
    }

    public static func render(_ request: ExportRequest) throws -> GridImage {
        let model = request.model, k = model.latent
        if let why = notApplicable(to: model.config) { throw VAEPipeError.notApplicable(id, why) }
        let set = try request.inputs(for: id).evenlySpaced(max(1, request.count))
        let means = try Evaluator.posteriorMeans(model, on: set, count: set.count)
        let (points, title) = plane(means, latent: k)
        return ScatterPlot(points: points, labels: set.labels, names: request.classNames,
                           title: title + ["\(set.count) IMAGES"], seed: request.seed).draw()
    }

    /// The means as (x, y) pairs, and the title saying what x and y are.
    public static func plane(_ means: [Float], latent k: Int) -> (points: [Double], title: [String]) {
        guard k > 2 else { return (means.map(Double.init), ["LATENT MEANS: Z1 ACROSS, Z2 UP"]) }
        let pca = PrincipalComponents(points: means, dimension: k)
        let first = pca.explained(1), both = pca.explained(2)
        func percent(_ f: Double) -> String { "\(Int((100 * f).rounded()))%" }
        return (pca.project(means, onto: 2),
                ["PCA OF \(k)-D MEANS: PC1 ACROSS, PC2 UP", "PC1 \(percent(first)), PC2 \(percent(both - first)) OF THE VARIANCE"])
    }
}
