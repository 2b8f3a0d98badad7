#include "reduced.h"

#include <cmath>

#include "ops/checks.h"
#include "ops/common.h"
#include "print/number.h"
#include "print/printers.h"
#include "registry.h"

namespace losscalc {

std::string reduced_output(const std::string& function, Reduction reduction, DType dtype, const Totals& t,
                           const OutputOptions& o, const std::string& what, const std::string& settings, double base) {
  const bool mean = divides(reduction);
  const double total = t.loss_sum.value();
  const double denominator = t.share_sum.value() + t.extra;
  double loss;
  // scikit-learn's mean is numpy's float64 np.average, whatever y_pred's dtype.
  const FunctionSpec* fn = find_function(function);
  if (dtype == DType::Float32 && !(fn && fn->family == Family::Sklearn))
    loss = mean ? static_cast<double>(static_cast<float>(total) / static_cast<float>(denominator)) : static_cast<double>(static_cast<float>(total));
  else
    loss = mean ? total / denominator : total;
  const std::string red = ops::reduction_name(reduction);
  const std::string dt = ops::dtype_name(dtype);
  if (o.partial) {
    Result r;
    r.function = function;
    r.reduction = red;
    r.dtype = dt;
    r.loss_sum = t.loss_sum;
    r.share_sum = t.share_sum;
    r.extra_denominator = t.extra;
    r.count = t.count;
    r.settings = settings;
    return print::partial(r);
  }
  double shown_sum = total;
  if (base != 0) {
    loss = ops::in_log_base(loss, base, dtype);
    shown_sum = total / std::log(base);
  }
  const auto exact = [&](double v) { return o.precision ? print::fixed(v, *o.precision) : print::shortest(v); };
  if (o.format == Format::Json) {
    if (o.quiet) return print::json_number(loss) + "\n";
    return "{\"function\":\"" + function + "\",\"reduction\":\"" + red + "\",\"dtype\":\"" + dt + "\",\"loss\":" +
           print::json_number(loss) + ",\"count\":" + std::to_string(t.count) + ",\"loss_sum\":" + print::json_number(shown_sum) +
           (mean ? ",\"denominator\":" + print::json_number(denominator) : std::string()) +
           (base != 0 ? std::string(",\"log_base\":") + (base == 2 ? "2" : "10") : std::string()) + ",\"streamed\":true}\n";
  }
  if (o.quiet) return exact(loss) + "\n";
  if (o.format == Format::Csv) return "loss\n" + print::shortest(loss) + "\n";
  const int p = o.precision.value_or(4);
  std::string s = function + " (reduction " + red + ", " + dt + "): " + what + "\n\n";
  s += "loss         " + print::torch_tensor(Tensor{{}, {loss}}, p, false, 13) + "\n";
  s += "count        " + std::to_string(t.count) + "   (per-sample losses)\n";
  s += "loss_sum     " + print::torch_tensor(Tensor{{}, {shown_sum}}, p, false, 13) + "\n";
  if (mean) s += "denominator  " + print::torch_tensor(Tensor{{}, {denominator}}, p, false, 13) + "\n";
  if (base != 0) s += "\n--log-base " + std::string(base == 2 ? "2" : "10") + ": loss and loss_sum divided by ln " + (base == 2 ? "2 (bits)" : "10") + "\n";
  s += "\n(streamed: the intermediates and grad are not kept for row data; give the data as a JSON array to see them)\n";
  return s;
}

}  // namespace losscalc
