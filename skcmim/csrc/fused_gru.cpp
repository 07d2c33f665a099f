// One GRU layer, one direction, over a whole sequence: forward and backward.
//
// torch's GRU on the CPU trains through autograd over each time step's
// small operations (a gate split, a dozen element-wise operations and their
// backward nodes per step); this kernel does each step's element-wise work in
// one pass over the batch and takes the weight gradients of all steps in one
// matrix product.  The matrix products are ATen's (MKL / oneDNN).
//
// The gates follow torch.nn.GRU:  r = sigmoid(Wir x + bir + Whr h + bhr),
// z = sigmoid(Wiz x + biz + Whz h + bhz), n = tanh(Win x + bin + r * (Whn h + bhn)),
// h' = (1 - z) * n + z * h.

#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>
#include <vector>

using at::Tensor;

namespace {

// Element-wise loops are compiled for AVX-512, AVX2 and the baseline, and
// the best one the CPU has is picked when the library loads (GCC's function
// multi-versioning), so the build never uses an instruction the CPU lacks.
// Rows are spread over torch's threads (at::parallel_for): the loops stream
// the step's gates through memory, and one core's bandwidth does not keep up.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SKCMIM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SKCMIM_CLONES
#endif

// exp(x) for x in float range, to about 2 ulp: exp(x) = 2^k exp(r), r = x - k ln 2
// (Cephes' expf).  Written without library calls so the loops vectorise.
inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // round to nearest by the float magic number 1.5 * 2^23 (|x / ln 2| < 2^22 here)
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  return e * __builtin_bit_cast(float, bits);
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

inline float tanh_approx(float x) { return 2.0f / (1.0f + exp_approx(-2.0f * x)) - 1.0f; }

// Gates of one step: gi (B, 3H) input parts (biases included), gh (B, 3H)
// recurrent parts (bias b_hh added here); writes gates (B, 4H) = r, z, n,
// Whn h + bhn and the new state.
SKCMIM_CLONES void step_forward(int64_t B, int64_t H, const float* gi, const float* gh, const float* b_hh,
                                const float* h, float* gates, float* h_next) {
  for (int64_t b = 0; b < B; ++b) {
    const float* gi_b = gi + b * 3 * H;
    const float* gh_b = gh + b * 3 * H;
    const float* h_b = h + b * H;
    float* g_b = gates + b * 4 * H;
    float* out_b = h_next + b * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const float r = sigmoid(gi_b[j] + gh_b[j] + b_hh[j]);
      const float z = sigmoid(gi_b[H + j] + gh_b[H + j] + b_hh[H + j]);
      const float hn = gh_b[2 * H + j] + b_hh[2 * H + j];
      const float n = tanh_approx(gi_b[2 * H + j] + r * hn);
      g_b[j] = r;
      g_b[H + j] = z;
      g_b[2 * H + j] = n;
      g_b[3 * H + j] = hn;
      out_b[j] = n + z * (h_b[j] - n);
    }
  }
}

// Backward of one step: the gradient of the step's output is the sum of
// carried (through the next step's recurrent product), output (from the layer's
// output at this step) and direct (z * gradient of the next step's output);
// writes the gradients of the gates' pre-activations, input side (dgi) and
// recurrent side (dgh), and the new direct part into direct (in place).
SKCMIM_CLONES void step_backward(int64_t B, int64_t H, const float* carried, const float* output,
                                 const float* gates, const float* h_prev, float* dgi, float* dgh, float* direct) {
  for (int64_t b = 0; b < B; ++b) {
    const float* carried_b = carried + b * H;
    const float* output_b = output + b * H;
    const float* g_b = gates + b * 4 * H;
    const float* h_b = h_prev + b * H;
    float* dgi_b = dgi + b * 3 * H;
    float* dgh_b = dgh + b * 3 * H;
    float* direct_b = direct + b * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const float d = carried_b[j] + output_b[j] + direct_b[j];
      const float r = g_b[j], z = g_b[H + j], n = g_b[2 * H + j], hn = g_b[3 * H + j];
      const float dn = d * (1.0f - z) * (1.0f - n * n);
      const float dz = d * (h_b[j] - n) * z * (1.0f - z);
      const float dr = dn * hn * r * (1.0f - r);
      dgi_b[j] = dr;
      dgi_b[H + j] = dz;
      dgi_b[2 * H + j] = dn;
      dgh_b[j] = dr;
      dgh_b[H + j] = dz;
      dgh_b[2 * H + j] = dn * r;
      direct_b[j] = d * z;
    }
  }
}

void check_inputs(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                  const Tensor& b_hh) {
  for (const Tensor* t : {&x, &h0, &w_ih, &w_hh, &b_ih, &b_hh}) {
    TORCH_CHECK(t->device().is_cpu() && t->scalar_type() == at::kFloat && t->is_contiguous(),
                "fused GRU: tensors must be contiguous float32 CPU tensors");
  }
  TORCH_CHECK(x.dim() == 3 && h0.dim() == 2 && x.size(1) == h0.size(0), "fused GRU: x (T, B, E), h0 (B, H)");
  const int64_t H = h0.size(1);
  TORCH_CHECK(w_ih.dim() == 2 && w_ih.size(0) == 3 * H && w_ih.size(1) == x.size(2), "fused GRU: w_ih (3H, E)");
  TORCH_CHECK(w_hh.dim() == 2 && w_hh.size(0) == 3 * H && w_hh.size(1) == H, "fused GRU: w_hh (3H, H)");
  TORCH_CHECK(b_ih.dim() == 1 && b_ih.size(0) == 3 * H && b_hh.dim() == 1 && b_hh.size(0) == 3 * H,
              "fused GRU: biases (3H,)");
}

constexpr int64_t kRowsPerTask = 16;

}  // namespace

// x (T, B, E), h0 (B, H).  Returns the states (T + 1, B, H), h0 first, and
// the gates (T, B, 4H) the backward pass needs.
std::vector<Tensor> gru_forward(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                                const Tensor& b_ih, const Tensor& b_hh) {
  check_inputs(x, h0, w_ih, w_hh, b_ih, b_hh);
  const int64_t T = x.size(0), B = x.size(1), H = h0.size(1);
  const Tensor gi = at::addmm(b_ih, x.reshape({T * B, x.size(2)}), w_ih.t()).view({T, B, 3 * H});
  Tensor states = at::empty({T + 1, B, H}, x.options());
  states[0].copy_(h0);
  Tensor gates = at::empty({T, B, 4 * H}, x.options());
  Tensor gh = at::empty({B, 3 * H}, x.options());
  const Tensor w_hh_t = w_hh.t();
  for (int64_t t = 0; t < T; ++t) {
    const Tensor h = states[t];
    at::mm_out(gh, h, w_hh_t);
    const float* gi_t = gi[t].data_ptr<float>();
    const float* gh_t = gh.data_ptr<float>();
    const float* h_t = h.data_ptr<float>();
    float* gates_t = gates[t].data_ptr<float>();
    float* next = states[t + 1].data_ptr<float>();
    const float* bias = b_hh.data_ptr<float>();
    at::parallel_for(0, B, kRowsPerTask, [&](int64_t b0, int64_t b1) {
      step_forward(b1 - b0, H, gi_t + b0 * 3 * H, gh_t + b0 * 3 * H, bias, h_t + b0 * H, gates_t + b0 * 4 * H,
                   next + b0 * H);
    });
  }
  return {states, gates};
}

// Gradients of x, h0, w_ih, w_hh, b_ih, b_hh from those of the outputs
// (T, B, H) and of the last state (B, H).
std::vector<Tensor> gru_backward(const Tensor& grad_outputs, const Tensor& grad_last, const Tensor& x,
                                 const Tensor& states, const Tensor& gates, const Tensor& w_ih, const Tensor& w_hh) {
  TORCH_CHECK(grad_outputs.is_contiguous() && grad_last.is_contiguous() && states.is_contiguous() &&
                  gates.is_contiguous(),
              "fused GRU: contiguous gradients and saved tensors");
  const int64_t T = x.size(0), B = x.size(1), H = states.size(2);
  TORCH_CHECK(grad_outputs.sizes() == at::IntArrayRef({T, B, H}) && grad_last.sizes() == at::IntArrayRef({B, H}) &&
                  grad_outputs.scalar_type() == at::kFloat && grad_last.scalar_type() == at::kFloat,
              "fused GRU: gradients of the outputs (T, B, H) and of the last state (B, H), float32");
  Tensor dgi = at::empty({T, B, 3 * H}, x.options());
  Tensor dgh = at::empty({T, B, 3 * H}, x.options());
  Tensor carried = grad_last.clone();
  Tensor direct = at::zeros({B, H}, x.options());
  for (int64_t t = T - 1; t >= 0; --t) {
    const Tensor dgh_t = dgh[t];
    const float* carried_t = carried.data_ptr<float>();
    const float* output_t = grad_outputs[t].data_ptr<float>();
    const float* gates_t = gates[t].data_ptr<float>();
    const float* h_prev = states[t].data_ptr<float>();
    float* dgi_t = dgi[t].data_ptr<float>();
    float* dgh_ptr = dgh_t.data_ptr<float>();
    float* direct_t = direct.data_ptr<float>();
    at::parallel_for(0, B, kRowsPerTask, [&](int64_t b0, int64_t b1) {
      step_backward(b1 - b0, H, carried_t + b0 * H, output_t + b0 * H, gates_t + b0 * 4 * H, h_prev + b0 * H,
                    dgi_t + b0 * 3 * H, dgh_ptr + b0 * 3 * H, direct_t + b0 * H);
    });
    at::mm_out(carried, dgh_t, w_hh);
  }
  const Tensor dh = carried.add_(direct);
  const Tensor dgi_all = dgi.view({T * B, 3 * H}), dgh_all = dgh.view({T * B, 3 * H});
  const Tensor x_all = x.reshape({T * B, x.size(2)});
  return {dgi_all.mm(w_ih).view_as(x), dh, dgi_all.t().mm(x_all),
          dgh_all.t().mm(states.narrow(0, 0, T).reshape({T * B, H})), dgi_all.sum(0), dgh_all.sum(0)};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("forward", &gru_forward, "GRU layer forward over a sequence");
  m.def("backward", &gru_backward, "GRU layer backward over a sequence");
}
