/// A transposed 2-D convolution on NHWC images: the adjoint of Conv2D, so its forward is
/// Conv2D's input-gradient path. cols[(B*H*W) x K] = x W with W stored [Cin x K],
/// K = (ky, kx, Cout); each input pixel's row of cols is then scatter-added (col2im) onto the
/// output window it covers. `height` and `width` are the input's spatial size; the output is
/// (H - 1) * stride - 2 * padding + kernel on each side (2x for kernel 4, stride 2, padding 1).
public final class ConvTranspose2D: Layer {
    public let inChannels: Int, outChannels: Int
    public let height: Int, width: Int
    public let kernel: Int, stride: Int, padding: Int
    public let outputHeight: Int, outputWidth: Int
    public var inputSize: Int { height * width * inChannels }
    public var outputSize: Int { outputHeight * outputWidth * outChannels }

    /// The output image, with one window per input pixel.
    private let geometry: ConvGeometry
    private var w: UnsafeMutablePointer<Float>!
    private var b: UnsafeMutablePointer<Float>!
    private var dw: UnsafeMutablePointer<Float>!
    private var db: UnsafeMutablePointer<Float>!
    /// cols in forward, dcols in backward: neither outlives its call, so they share one buffer.
    private let cols: BatchScratch

    public init(inChannels: Int, outChannels: Int, height: Int, width: Int,
                kernel: Int = 4, stride: Int = 2, padding: Int = 1) {
        let outH = (height - 1) * stride - 2 * padding + kernel
        let outW = (width - 1) * stride - 2 * padding + kernel
        precondition(inChannels > 0 && outChannels > 0 && height > 0 && width > 0
                     && kernel > 0 && stride > 0 && padding >= 0,
                     "bad ConvTranspose2D: in \(inChannels) out \(outChannels) k \(kernel) s \(stride) p \(padding)")
        precondition(outH > 0 && outW > 0, "ConvTranspose2D: padding \(padding) leaves no output for \(height)x\(width)")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        outputHeight = outH; outputWidth = outW
        geometry = ConvGeometry(height: outH, width: outW, channels: outChannels,
                                kernel: kernel, stride: stride, padding: padding,
                                gridHeight: height, gridWidth: width)
        cols = BatchScratch(perExample: geometry.gridSize * geometry.windowSize)
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [inChannels, kernel * kernel * outChannels]),
         ParameterSpec(name: "bias", shape: [outChannels])]
    }

    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        let n = inChannels * geometry.windowSize
        w = values; b = values + n
        dw = gradients; db = gradients + n
    }

    /// PyTorch's nn.ConvTranspose2d default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for W and b,
    /// where PyTorch takes fan_in from the weight's second axis, i.e. Cout * k * k, not Cin.
    public func initialize(rng: inout SplitMix64) {
        let bound = 1 / Float(geometry.windowSize).squareRoot()
        for i in 0..<(inChannels * geometry.windowSize) { w[i] = (2 * rng.nextUniform() - 1) * bound }
        for i in 0..<outChannels { b[i] = (2 * rng.nextUniform() - 1) * bound }
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        let rows = batch * geometry.gridSize, n = outChannels
        let c = cols.pointer(batch: batch)
        BLAS.gemm(m: rows, n: geometry.windowSize, k: inChannels, a: x, b: w, c: c)
        // Starting y at the bias makes col2im's scatter-add the whole rest of the forward.
        var out = y
        for _ in 0..<(batch * outputHeight * outputWidth) {
            for j in 0..<n { out[j] = b[j] }
            out += n
        }
        Im2Col.col2im(c, batch: batch, geometry, addingInto: y)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        let rows = batch * geometry.gridSize, n = outChannels, k = geometry.windowSize
        // db += column sums of dy ; dcols = im2col(dy) ; dW += x^T dcols ; dx = dcols W^T
        var g = dy
        for _ in 0..<(batch * outputHeight * outputWidth) {
            for j in 0..<n { db[j] += g[j] }
            g += n
        }
        let d = cols.pointer(batch: batch)
        Im2Col.im2col(dy, batch: batch, geometry, into: d)
        BLAS.gemm(transA: true, m: inChannels, n: k, k: rows, a: x, b: d, beta: 1, c: dw)
        if let dx {
            BLAS.gemm(transB: true, m: rows, n: inChannels, k: k, a: d, b: w, c: dx)
        }
    }
}
