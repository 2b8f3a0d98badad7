#include "discovery.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "error.h"
#include "ops/checks.h"
#include "print/number.h"
#include "registry.h"

namespace losscalc {

using ops::reduction_name;

namespace {

std::string_view type_name(ParamType t) {
  switch (t) {
    case ParamType::Flag:
      return "bool";
    case ParamType::Integer:
      return "int";
    case ParamType::Number:
      return "float";
    case ParamType::Choice:
      return "choice";
    case ParamType::Text:
      return "text";
  }
  return "float";
}

// The rows of the table, in its order.
std::vector<const FunctionSpec*> rows() {
  std::vector<const FunctionSpec*> out;
  for (auto& f : functions()) out.push_back(&f);
  return out;
}

std::string range_of(const Param& p) {
  if (!std::isfinite(p.min) && !std::isfinite(p.max)) return "";
  auto num = [](double x) { return print::shortest(x); };
  return std::string(p.min_open ? "(" : "[") + (std::isfinite(p.min) ? num(p.min) : "-inf") + ", " +
         (std::isfinite(p.max) ? num(p.max) : "inf") + (p.max_open ? ")" : "]");
}

std::vector<std::string> names_of(const FunctionSpec& f) {
  std::vector<std::string> n{std::string(f.name)};
  for (auto a : f.aliases) n.emplace_back(a);
  return n;
}

}  // namespace

std::string functions_json() {
  nlohmann::ordered_json all = nlohmann::ordered_json::object();
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const FunctionSpec* f : rows()) {
    nlohmann::ordered_json j;
    j["name"] = f->name;
    j["aliases"] = f->aliases;
    j["family"] = family_name(f->family);
    j["summary"] = f->summary;
    j["layout"] = f->layout == Layout::ClassAxis ? "class_axis" : "elementwise";
    nlohmann::ordered_json args = nlohmann::ordered_json::array();
    for (auto& a : f->args)
      args.push_back({{"name", a.name}, {"option", a.option()}, {"holds", a.holds}, {"positional", a.positional},
                      {"required", a.required}, {"per_row", a.per_row}, {"differentiable", a.differentiable},
                      {"gradient", a.differentiable ? (&a == &f->args[0] ? std::string("grad") : "grad_" + std::string(a.name)) : ""}});
    j["data_arguments"] = args;
    nlohmann::ordered_json params = nlohmann::ordered_json::array();
    for (auto& p : f->params) {
      nlohmann::ordered_json q{{"name", p.key()}, {"option", "--" + std::string(p.name)}, {"type", type_name(p.type)}};
      q["default"] = p.default_value.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(p.default_value);
      if (!p.choices.empty()) q["choices"] = p.choices;
      if (auto r = range_of(p); !r.empty()) q["range"] = r;
      q["help"] = p.help;
      params.push_back(q);
    }
    j["parameters"] = params;
    nlohmann::ordered_json red = nlohmann::ordered_json::array();
    for (Reduction r : f->reductions) red.push_back(reduction_name(r));
    j["reductions"] = red;
    j["default_reduction"] = f->reductions.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(reduction_name(f->default_reduction));
    list.push_back(j);
  }
  all["functions"] = list;
  nlohmann::ordered_json tl = nlohmann::ordered_json::array();
  for (auto& t : tools()) tl.push_back({{"name", t.name}, {"aliases", t.aliases}, {"summary", t.summary}, {"usage", t.usage}});
  all["tools"] = tl;
  return all.dump() + "\n";
}

std::string functions_text() {
  std::string s;
  for (const FunctionSpec* f : rows()) {
    s += std::string(f->name) + "  [" + std::string(family_name(f->family)) + "]  " + std::string(f->summary) + "\n";
    std::string aliases;
    for (auto a : f->aliases) aliases += (aliases.empty() ? "" : ", ") + std::string(a);
    if (!aliases.empty()) s += "  names:      " + aliases + "\n";
    std::string args;
    bool gradients = false;
    for (auto& a : f->args) {
      std::string one = a.positional ? std::string(a.name) : a.option();
      if (!a.required) one = "[" + one + "]";
      if (a.differentiable) one += "*";
      gradients = gradients || a.differentiable;
      args += (args.empty() ? "" : ", ") + one;
    }
    s += "  arguments:  " + args + (gradients ? "   (*: has a gradient)" : "") + "\n";
    for (auto& p : f->params) {
      s += "  --" + std::string(p.name) + " " + std::string(type_name(p.type));
      if (!p.choices.empty()) {
        std::string c;
        for (auto x : p.choices) c += (c.empty() ? "" : "|") + std::string(x);
        s += " " + c;
      }
      if (auto r = range_of(p); !r.empty()) s += " in " + r;
      s += p.default_value.empty() ? " (no default)" : " = " + std::string(p.default_value);
      s += "\n";
    }
    if (!f->reductions.empty()) {
      std::string r;
      for (Reduction x : f->reductions) r += (r.empty() ? "" : ", ") + std::string(reduction_name(x));
      s += "  reductions: " + r + " (default " + std::string(reduction_name(f->default_reduction)) + ")\n";
    }
  }
  s += "\ntools: ";
  std::string t;
  for (auto& x : tools()) t += (t.empty() ? "" : ", ") + std::string(x.name);
  return s + t + "\n";
}

std::string completion_script(const std::string& shell) {
  // Every subcommand, and per function its options; choices complete values.
  std::vector<std::string> subcommands;
  for (const FunctionSpec* f : rows())
    for (auto& n : names_of(*f)) subcommands.push_back(n);
  for (auto& t : tools()) subcommands.emplace_back(t.name);
  auto words = [](const std::vector<std::string>& v) {
    std::string s;
    for (auto& w : v) s += (s.empty() ? "" : " ") + w;
    return s;
  };
  std::vector<std::pair<std::vector<std::string>, std::vector<CompletionOption>>> per;
  for (const FunctionSpec* f : rows()) per.push_back({names_of(*f), completion_options(*f)});
  per.push_back({{"compare", "cmp"}, completion_options(compare_spec())});
  per.push_back({{"expect"}, completion_options(expect_spec())});
  per.push_back({{"merge"},
                 {{"--input", {}, true}, {"--format", {"text", "json", "csv"}, true}, {"--json", {}, false}, {"--quiet", {}, false},
                  {"--precision", {}, true}, {"--partial", {}, false}}});
  per.push_back({{"functions"}, {{"--json", {}, false}}});
  std::string s;
  if (shell == "bash") {
    s += "# bash completion for losscalc (losscalc completion bash > /etc/bash_completion.d/losscalc)\n"
         "_losscalc() {\n"
         "  local cur prev fn opts\n"
         "  cur=${COMP_WORDS[COMP_CWORD]}\n  prev=${COMP_WORDS[COMP_CWORD-1]}\n"
         "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
         "    COMPREPLY=($(compgen -W '" + words(subcommands) + " --help --version' -- \"$cur\"))\n    return\n  fi\n"
         "  fn=${COMP_WORDS[1]}\n  case \"$fn\" in\n";
    for (auto& [names, options] : per) {
      std::string pattern;
      for (auto& n : names) pattern += (pattern.empty() ? "" : "|") + n;
      s += "    " + pattern + ")\n      case \"$prev\" in\n";
      std::vector<std::string> opts;
      for (auto& [o, choices, value] : options) {
        opts.push_back(o);
        if (!choices.empty()) s += "        " + o + ") COMPREPLY=($(compgen -W '" + words(choices) + "' -- \"$cur\")); return ;;\n";
      }
      s += "      esac\n      opts='" + words(opts) + " --help' ;;\n";
    }
    s += "    completion) COMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\")); return ;;\n";
    s += "    *) opts='' ;;\n  esac\n"
         "  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n"
         "}\ncomplete -o filenames -F _losscalc losscalc\n";
    return s;
  }
  if (shell == "zsh") {
    s += "#compdef losscalc\n# zsh completion for losscalc (losscalc completion zsh > \"${fpath[1]}/_losscalc\")\n"
         "_losscalc() {\n"
         "  if (( CURRENT == 2 )); then\n    compadd -- " + words(subcommands) + " --help --version\n    return\n  fi\n"
         "  local -a opts\n  case ${words[2]} in\n";
    for (auto& [names, options] : per) {
      std::string pattern;
      for (auto& n : names) pattern += (pattern.empty() ? "" : "|") + n;
      s += "    (" + pattern + ") opts=(";
      for (auto& [o, choices, value] : options) {
        const std::string bare = o.substr(o.find_first_not_of('-'));
        const std::string action = choices.empty() ? "_files" : "(" + words(choices) + ")";
        s += " '" + o + (value ? std::string(o.rfind("--", 0) == 0 ? "=" : "+") + "[" + bare + "]:" + bare + ":" + action : "") + "'";
      }
      s += " '--help') ;;\n";
    }
    s += "    (completion) compadd bash zsh fish; return ;;\n  esac\n"
         "  _arguments -s $opts '*:data:_files'\n}\n_losscalc \"$@\"\n";
    return s;
  }
  if (shell == "fish") {
    s += "# fish completion for losscalc (losscalc completion fish > ~/.config/fish/completions/losscalc.fish)\n"
         "complete -c losscalc -f\n"
         "complete -c losscalc -n '__fish_use_subcommand' -a '" + words(subcommands) + "'\n"
         "complete -c losscalc -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n";
    for (auto& [names, options] : per) {
      const std::string cond = "__fish_seen_subcommand_from " + words(names);
      for (auto& [o, choices, value] : options) {
        s += "complete -c losscalc -n '" + cond + "' " + (o.rfind("--", 0) == 0 ? "-l " + o.substr(2) : "-s " + o.substr(1));
        if (!choices.empty()) s += " -x -a '" + words(choices) + "'";
        else if (value) s += " -r -F";
        s += "\n";
      }
      s += "complete -c losscalc -n '" + cond + "' -F\n";
    }
    return s;
  }
  throw usage_error("completion", "unknown shell " + in_quotes(shell) + ": expected bash, zsh or fish");
}

}  // namespace losscalc
