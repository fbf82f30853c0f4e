"""The rule classifier on a table of cases the team wrote, modelled on real rollouts.

Each case: the response, the expected ``code_reasoning`` in ``ast`` mode, the
expected style/language when code, and a note saying what the case is about.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

import pytest

from codereason import classify, classify_batches, classify_many
from codereason.classifier import verify
from codereason.errors import ConfigError, WorkerError

classify_module = importlib.import_module("codereason.classifier.parallel")  # the package's `classify` is the function

FENCE = "```"


@dataclass(frozen=True)
class Case:
    text: str
    code: bool
    style: str | None
    language: str | None
    note: str


CASES = [
    # --- positives -----------------------------------------------------------------
    Case(f"Let's compute.\n{FENCE}python\nfrom sympy import symbols, solve\nx = symbols('x')\n"
         f"print(solve(x**2 - 4, x))\n{FENCE}\n{FENCE}output\n[-2, 2]\n{FENCE}\nSo $x = \\boxed{{2}}$.",
         True, "fenced", "python", "Qwen-style fenced sympy with an invented output block"),
    Case(f"{FENCE}python\ndef f(n):\n    return n * (n + 1) // 2\n\nresult = f(100)\n{FENCE}", True, "fenced", "python",
         "function definition and call"),
    Case(f"We verify:\n{FENCE}python\ntotal = 0\nfor i in range(1, 101):\n    total += i\nprint(total)",
         True, "fenced", "python", "truncated: fence never closes"),
    Case(f"{FENCE}python\nunits = [2, 4, 8, 6] [(2023 - 1) % 4)]\nprint(units[0])\n{FENCE}", True, "fenced", "python",
         "buggy code (unbalanced bracket) is still code"),
    Case(f"{FENCE}\nimport math\nprint(math.comb(10, 3))\n{FENCE}", True, "fenced", "python", "untagged fence holding Python"),
    Case(f"{FENCE}py\nn = 7\nprint(n ** 2)\n{FENCE}", True, "fenced", "python", "short tag py"),
    Case("To solve it we write:\n\nimport numpy as np\nA = np.array([[1, 2], [3, 4]])\nprint(np.linalg.det(A))\n\n"
         "The determinant is $-2$.", True, "unfenced", "python", "unfenced code lines between prose"),
    Case("Let me check with code: `ans = sum(range(1, 11))` gives 55.", True, "inline", "python",
         "inline backtick statement"),
    Case(f"{FENCE}cpp\n#include <iostream>\nint main() {{ std::cout << 6 * 7; }}\n{FENCE}", True, "fenced", "cpp",
         "C++ by fence tag and syntax"),
    Case(f"{FENCE}javascript\nconst n = 12;\nconsole.log(n * 2);\n{FENCE}", True, "fenced", "javascript",
         "JavaScript by fence tag and syntax"),
    Case(f"The answer is $\\boxed{{5}}$.\n\nNow something else.\n{FENCE}python\nimport requests\n"
         f"r = requests.get(url)\n{FENCE}", True, "fenced", "python", "code drifted off the problem still counts"),
    Case(f"{FENCE}python\n# count the pairs\ncount = sum(1 for a in range(10) for b in range(10) if a < b)\n{FENCE}",
         True, "fenced", "python", "comment then a generator expression"),
    Case(f"{FENCE}python\nfor i in range(10):\n    if i % 3 == 0:\n        print(i)\n{FENCE}", True, "fenced", "python",
         "nested blocks"),
    Case(f"{FENCE}Python\nx = 3\ny = x ** 2\n{FENCE}", True, "fenced", "python", "capitalised tag"),
    # --- positives written like the new real folders (issue 10) ---------------------
    Case("\nnum_bananas = 200\nnum_pears = num_bananas * 1.45\nans = num_bananas + num_pears", True, "unfenced", "python",
         "pot-codex-gsm8k-aqua: a bare assignment chain, each name defined before it is read"),
    Case("\nans = 900 + 5 * 12", True, "unfenced", "python", "pot-codex-gsm8k-aqua: a one-line program is the whole response"),
    Case("# Calculate the number of novelists and poets\r\nnum_novelists = 5 * x_value\r\nnum_poets = 3 * x_value\r\n"
         "\r\nnum_novelists, num_poets", True, "unfenced", "python",
         "mathcoder-tir-roles: a code message (CRLF) reading a name from an earlier message, shown on its last line"),
    Case("We start.\n\nresult = -24092 / -4\nresult\n\nSo the answer is 6023.", True, "unfenced", "python",
         "mathcoder-tir-roles: one assignment and a display line between prose"),
    Case("  nlinarith [sq_nonneg (a - b), sq_nonneg (a + b),\n    mul_pos h₀ h₁]\n  <;> linarith\n```", True, "unfenced",
         "lean", "lean-provers-minif2f: an unfenced Lean proof continuing `:= by`, with a stray closing fence"),
    Case(f"{FENCE}lean4\ntheorem t (x : ℝ) (h₀ : x = 2) : x ^ 2 = 4 := by\n  subst h₀\n  norm_num\n{FENCE}", True, "fenced",
         "lean", "a ```lean4 fence is checked as Lean (its tactic lines), not as Python"),
    Case(f"{FENCE}rust\nfn main() {{\n    let x = 6 * 7;\n    println!(\"{{}}\", x);\n}}\n{FENCE}", True, "fenced", "rust",
         "Rust by its tree-sitter grammar"),
    Case(f"{FENCE}\n#include <cstdio>\nint main() {{ printf(\"%d\", 42); return 0; }}\n{FENCE}", True, "fenced", "cpp",
         "untagged fence: not Python, its content points to C++ and the C++ grammar accepts it"),
    Case(f"{FENCE}r\nx <- c(1, 2, 3)\nprint(mean(x))\n{FENCE}", True, "fenced", "r", "R by its grammar"),
    # --- negatives -----------------------------------------------------------------
    Case("We have $2x + 1 = 5$, so $x = 2$. The answer is $\\boxed{2}$.", False, None, None, "prose and LaTeX"),
    Case("We could use Python to check this, but by hand: $3 \\cdot 4 = 12$.", False, None, None,
         "python mentioned, no code"),
    Case(f"{FENCE}\nThe answer is 12 because each side has 3 units.\n{FENCE}", False, None, None, "prose inside a fence"),
    Case(f"{FENCE}python\nThe answer is 12.\n{FENCE}", False, None, None, "prose inside a python fence"),
    Case(f"{FENCE}\n42\n{FENCE}", False, None, None, "a fence holding only a number"),
    Case(f"{FENCE}output\n3.14159\n{FENCE}", False, None, None, "an output block alone"),
    Case(f"{FENCE}latex\n\\frac{{a}}{{b}} = \\sqrt{{2}}\n{FENCE}", False, None, None, "LaTeX in a fence"),
    Case("Let f(x) = 2x+1. Then f(3) = 7.", False, None, None, "an equation that looks like code"),
    Case("f(x) = 2x + 1\ng(x) = x^2\nso g(f(1)) = 9", False, None, None, "maths lines outside fences"),
    Case("For each i from 1 to n, add i to the total, then divide by n.", False, None, None, "pseudo-code as a sentence"),
    Case(f"The answer is 4.{FENCE}isinstance =true ()=>{{ isinstance isinstance{FENCE}", False, None, None,
         "degenerate code-like tokens in a stray fence"),
    Case("The answer is 4. isinstance isinstance =true ()=>{ =true =true isinstance", False, None, None,
         "degenerate tail outside fences"),
    Case(f"{FENCE}python\nisinstance=true()=>{{\n=true\n{FENCE}", False, None, None, "gibberish in a python fence"),
    Case("", False, None, None, "empty response"),
    Case("Total = 5 + 3 = 8 apples.", False, None, None, "an assignment-like sentence"),
    Case(f"{FENCE}\n\\[ x^2 + y^2 = 25 \\]\n{FENCE}", False, None, None, "display maths in an untagged fence"),
    # --- negatives written like the new real folders (issue 10) ---------------------
    Case("The speed is\nv0 = sqrt(4.65^2 + 12.65^2)\nv0 = 13.48 m/s", False, None, None,
         "theoremqa GPT-4 CoT: maths written as assignments (^ is a power)"),
    Case("So, n = 4.\n\nProbability = C(4, 2) * (1/6)^(4 - 2) * (5/6)^2\n\nC(4, 2) is 6.", False, None, None,
         "thinking trace: a probability formula, not a program"),
    Case("The forces are\nv_t = sqrt(2 * g * r)\nf_s = sqrt(2 * m * a) / sqrt(2 * g * r)\nso f_s = 0.48", False, None, None,
         "pythia CoT: formulas reading undefined quantities, no statement uses an earlier one"),
    Case("lambda1 = 6\nlambda2 = 5\nlambda3 = -8\nThese are the eigenvalues.", False, None, None,
         "pythia CoT: values written down, nothing computed from them"),
    Case("\nans = 3", False, None, None, "pot-codex-gsm8k-aqua: a literal in the answer slot computes nothing"),
    Case(f"The answer is 4. \u0439\u0446 {FENCE}printf\n\u597d int x; printf( =true ()=>{{ isinstance; {FENCE} \u00e9t\u00e9",
         False, None, None, "degenerate multilingual tail: a junk-tagged fence with C tokens that no grammar accepts"),
    Case(f"{FENCE}cpp\nThe answer is 12 because each side has 3 units.\n{FENCE}", False, None, None,
         "prose in a fence tagged cpp: the C++ grammar finds no statement"),
    Case(f"{FENCE}bash\nThe answer is twelve\n{FENCE}", False, None, None,
         "prose in a bash fence: any line of words parses as a command; only real commands count"),
    Case(f"{FENCE}r\nThe answer is 12\n{FENCE}", False, None, None, "prose in an R fence: words side by side are not statements"),
    # --- rules-v3 ---------------------------------------------------------------------
    Case("def solve():\n    # given values\n    rate = 0.05\n    years = 10\n    principal = 1000\n"
         "    amount = principal * (1 + rate) ** years\n    interest = amount - principal\n    return interest +* 1\n",
         True, "unfenced", "python",
         "StarChat PoT: a definition whose body holds one broken line is still a program"),
    Case(f"1. The errors:\n\n{FENCE}\nerror = [x1 - ref_x1, y1 - ref_y1]\n{FENCE}\n\n2. Their squares:\n\n"
         f"{FENCE}\nsquared_errors = sum(error)\n{FENCE}\n", True, "fenced", "python",
         "pythia: a program written cell by cell, one statement per untagged fence, names flowing between them"),
    Case(f"We use\n\n{FENCE}\nn = 1 + (2 * floor(sqrt(n)))\n{FENCE}\n\nand again\n\n{FENCE}\nn = 1 + (2 * floor(sqrt(n)))\n{FENCE}\n",
         False, None, None, "a formula fenced twice: a statement reading only its own target is not a flow"),
    Case(f"Give PHP code.\n{FENCE}php\n<pre></pre>\n{FENCE}\nThen junk.", False, None, None,
         "a php fence holding only HTML: outside <?php tags PHP is text"),
    Case(f"{FENCE}php\n$total = 3 * 4;\necho $total;\n{FENCE}", True, "fenced", "php",
         "a php fence without <?php: read as PHP code"),
    Case(f"{FENCE}python\nimport math\nresult = max({{iter(result for (a,b)` in range()`), max(\n junk ))]\n{FENCE}",
         True, "fenced", "python", "a python fence that opens with a clean import, then degenerates: a program begun"),
    Case("Let C be Chris's trees and F Ferdinand's.\n\nGiven:\nC = 6\n\nF = (1/2) * C\n\nH = 2*F + 5\n\nSo H - F = 8.",
         False, None, None, "thinking trace: algebra in single-letter variables, no call or comment"),
    Case("# Calculating the value of x\nx = 30 - 20\nx", True, "unfenced", "python",
         "MathCoder code message: a comment, one-letter assignment, display line"),
    # --- rules-v4 ---------------------------------------------------------------------
    Case("# Calculate the weight of the trailer using T\nS_value = 0.5 * T_value - 200\nS_value", True, "unfenced",
         "python", "MathCoder code message: a capitalised name with an underscore shows the value (display line)"),
    Case("x = 5\nTherefore", False, None, None, "a capitalised prose word after a formula is not a display line"),
    Case("num_pens = 12\nprice_per_pen = 3\ncost = num_pens * price_per_pen\nsolution = solve_it([cost - 2 * num_pens, cost +",
         True, "unfenced", "python", "PoT program cut off at the length limit inside its last line"),
    Case("def solve():\n    radius = 80.0\n    omega = 10.0\n    t = 2.0 * math.pi * (radius / omega) ** 0.5\n    return t",
         True, "unfenced", "python", "a Python variable named like a Lean tactic (omega) does not make the program Lean"),
    Case("theorem t (x : R) : x = x := by\n  rw[mul_comm] at h0\n  omega", True, "unfenced", "lean",
         "Lean rw[...] without a space is still a tactic line"),
    Case("Markdown help:\n    # I indented these lines\n# 4 spaces, and now they show\n\nprint \"hello world\"\nMath appears as",
         True, "unfenced", "python", "a Python 2 print statement of a string (labelling convention: code)"),
    Case("Use print \"hello\" to say hi.", False, None, None, "print and a quoted word inside a sentence is prose"),
    Case("```python\nwhile __i*2 for mp in range(1, 20):\n    result +=\n        abs(mp / 100) % 15\nprint((result // 16, max(max, result)) % 16)\n```",
         True, "fenced", "python", "a Python fence with broken lines and one clean print(...) (convention: one statement)"),
    Case("Here:\ndef add(s):\n    if len(s) == 0:\n        return 0\n    total = s ** 5 % 12\n    for offset size ixtt!1:\n        sum2 = add(*(((3 - 2i**a/bip**c",
         True, "unfenced", "python", "a clean function opening, then the run degenerates into salad"),
    Case("# Sub-step 3: multiply\r\n\r\n# Multiply the denominators\r\nproduct_1 = den_108 * den_621\r\n\r\n# Display it\r\nproduct_1",
         True, "unfenced", "python", "MathCoder cell: comment lines between the assignment and its display line"),
    Case("\n# The probability of catching the first train is 1/2.\nans = 0.5", True, "unfenced", "python",
         "PoT: the whole response is a comment and one assignment"),
    Case("# Check the equation to make sure it is correctly formed\nequation", True, "unfenced", "python",
         "MathCoder cell: a comment and the name it names"),
    Case("# Answer\nfive", False, None, None, "a markdown heading and a word is not a notebook cell"),
    Case("# Correcting the error\ngcd_value = x_values[0] if x_values else 0\ng2 = d_value if d_value else 0",
         True, "unfenced", "python", "commented assignments with a conditional expression (syntax maths never writes)"),
    # --- rules-v5 ---------------------------------------------------------------------
    Case("count, Mode.FAST);\n\n        if (status == Mode.READY) {\n            player = Player.create(getContext(), "
         "item.getSoundId());\n            player.start();\n        }\n    }\n\n    @Override\n    protected void onPause() {\n"
         "        super.onPause();\n        release();\n    }\n\n    private void release() {\n        if (player != null) {\n"
         "            player.release();\n            player = null;\n        }\n    }\n}", True, "unfenced", "java",
         "Java regurgitated outside fences, cut mid-statement: the stretch is judged whole by the Java grammar"),
    Case("total = 12.5;\n\n            // Show the total in another format\n            Console.WriteLine(\"{0:F2}\", total);\n\n"
         "            // Show the total in another format\n            Console.WriteLine(\"{0:E2}\", total);\n\n"
         "            // Show the total in another format\n            Console.WriteLine(\"{0:N2}\", total);",
         True, "unfenced", "csharp", "C# statements outside fences (Console.WriteLine is C#'s signature)"),
    Case("In Java you would write a public class with a main method; here we only count: 3 + 4 = 7.",
         False, None, None, "a sentence about a Java class holds the signature but no statement the grammar accepts"),
    Case("The tangent can be written as a sigmoid by setting `x = tanh(z)`, where z is real.", False, None, None,
         "an inline assignment to a one-letter name in a sentence is a substitution, as in maths"),
    Case("Then run `total_cost = compute_cost(items)` and print it.", True, "inline", "python",
         "an inline assignment from a call to a named variable is still code"),
    # --- rules-v6 ---------------------------------------------------------------------
    Case("import numpy as np\ndef solve():\n    grid = np.array([[1, 2],\n                     [3, 4]])\n    return grid.sum()",
         True, "unfenced", "python", "an unfenced program whose expression continues inside open brackets"),
    Case("/-\n  We bound x from both sides.\n  -/\n  constructor\n . nlinarith [sq_nonneg (x - 1)]\n . nlinarith [sq_nonneg (x + 1)]",
         True, "unfenced", "lean", "Lean goals focused with an ASCII dot after a block comment"),
    Case("The sum is (3 +\n  4) which is seven, and\nthe product (2 *\n  5) is ten.", False, None, None,
         "prose whose parentheses span lines is not a run"),
    # --- rules-v8 (above rules-v7: definition-cases.jsonl keys follow this order, learned-v8 was fitted on them) ---
    Case("Here it is:\n```python\ntotal_count = 3 * 4\nfor part in the big tree of mine:\n    salad words go here and on\n"
         "and on without end (( ]] \n```", True, "fenced", "python",
         "a python fence opening with one clean statement, then degenerating"),
    Case("```python\nThe answer is twelve apples\nthen the curve rises and and falls\n```", False, None, None,
         "a python fence opening with a sentence, then prose"),
    # --- rules-v7 ---------------------------------------------------------------------
    Case("-- Work it out.\n  calc\n    (2 + 3) * 4 = 5 * 4 := by\n      norm_num\n    _ = 20 := by norm_num",
         True, "unfenced", "lean", "a Lean calc block: its first relation continues the calc line"),
    Case("# Compute the shifted total\nshifted_total = (base_total + 7\nshifted_total", True, "unfenced", "python",
         "a notebook cell with one broken assignment that shows the name it set"),
    Case("# Define the step\ndef step(q):\n    return (q + 1\n\n# Apply it\nnext_value = step(2)\nnext_value", True, "unfenced",
         "python", "a notebook cell whose definition does not parse, shown by the name it set"),
    Case("# Answer\ntotal = 5 + 3\nIn words, the total is eight.", False, None, None,
         "a heading, a formula and a sentence are not a cell"),
    Case("using System;\nusing System.Linq;\nnamespace Demo\n{\n    class Program\n    {\n        static void Main()\n        {\n"
         "            int x = 10;\n            Console.WriteLine(x);\n            x++;\n            Console.WriteLine(x);\n"
         "            // Display the new value\n        ",
         True, "unfenced", "csharp", "C# cut at the length limit inside its namespace: judged with its braces closed"),
    # --- rules-v9 ---------------------------------------------------------------------
    Case(f"Here is the Python solution to your problem:\n{FENCE}\ndef double(n):\n    return max(v for v in range(n) + 1 if v > 1))\n\n"
         f"print(double(4))\n{FENCE}", True, "fenced", "python",
         "an untagged fence after a line naming Python and ending in a colon is judged as a python fence"),
    Case(f"Here is the Python idea:\n{FENCE}\nthe answer grows and grows (( ]]\nwe stop here and rest\n{FENCE}", False, None, None,
         "prose in an untagged fence introduced as Python is still prose"),
    Case("So I guess it is too heavy to match, and so on and on.\nprint(13 / 13)\nThen the words go on without end.",
         True, "unfenced", "python", "a lone clean print(...) line amid prose is a statement only code writes"),
    Case("squares = [45, 26, 56, 78]\nbiggest = max(squares) + (1 if squares else 0)) * 2\nsmallest = min(squares)\n"
         "spread = biggest - smallest\nThen the salad words go on and on.", True, "unfenced", "python",
         "assignment lines that parse one by one and pass names on, around one broken line"),
    Case('[asy]\npair A, B, C;\nA = (0, 0);\nB = A + dir(60);\nC = B + dir(-60);\ndraw(A--B--C--A);\nlabel("$A$", A, SW);\n'
         "[/asy]\nFind the angle at B.", False, None, None, "an Asymptote figure is not judged line by line as Python"),
    Case("For instance `chr(100)` gives the letter d, which we then count.", True, "inline", "python",
         "an inline call of a Python builtin with an argument is code"),
    Case("The function is written `f(x)` here, and we want `f(2)`.", False, None, None,
         "an inline call of a one-letter function is maths notation"),
    # --- rules-v10 --------------------------------------------------------------------
    Case("Try it:\n>>> x = 15 - 8\n7\nSo the answer is 7.", True, "unfenced", "python",
         "a clean statement at a Python prompt is code"),
    Case("Now:\n>>> Solving the simpler range it solves greatly\nand so on and on.", False, None, None,
         "prose after a Python prompt is not a statement"),
    Case(f"{FENCE}python\n// compute it first\nx = 2.0\nreturn lambda ((( ]]\nand (( then words\nmore (( words\n{FENCE}",
         True, "fenced", "python", "a python fence opening with a C-style comment, then a clean statement, then junk"),
    Case(f"We get:\n{FENCE}\ni = 20 + 2**1 = 22\nprint(i * n % 30)\nsum(i * n) = 90\n{FENCE}", True, "fenced", "python",
         "an untagged fence of maths with one clean print(...) line"),
    Case('So we write it out.\ndef slope_man(b):\n    return builder(f"{b ((( and (( then\n    more builder(( words here\nThe end.',
         True, "unfenced", "python", "a clean def header over a body that never parses"),
    Case("Then we keep the small ones.\nmulti_chars = [value for value in new_list if 0 <= value < 15]\n"
         "keep = words and (( more words\nand that is all.", True, "unfenced", "python",
         "one clean assignment written with a comprehension, among broken lines"),
    Case("Snap\nv = const(Arr = 0x12A02)\nVict - VICTIM = **only 2 other people Pt**\nv + VI", False, None, None,
         "a salad line that happens to parse as a call with a keyword argument is not code"),
    # --- rules-v11 --------------------------------------------------------------------
    Case("We can use the Euclidean algorithm to find it.\n\nfirst_digit_sum = 198 // 2 ** 3  # divide the numerator first, "
         "then keep going until the remainder runs out and the words go on and on for a long while after it\n\n"
         "And the rest of the story goes on.", True, "unfenced", "python",
         "a lone assignment line with a comment after it is a statement only code writes"),
    Case("We count them.\ntotal = 5 # of apples in the basket\nSo there are 5 apples.", False, None, None,
         "an assignment line whose '#' means 'number of' is prose"),
    Case(f"We can use loops:\n\n{FENCE}\n# keep the digits apart\nbinary_10 = encode_binary(int(b))\n\n"
         f"# then decode\nb'a121' binary_10.decode()\n{FENCE}\nAnd that is the story.", True, "fenced", "python",
         "an untagged fence of # comments and one clean statement, with a broken line"),
    Case(f"We can iterate:\n{FENCE}python\nresult = \nExample = {{1 4, 5 5, 7}}\n"
         f"NumChords = reduce_pairs[Example]\n{FENCE}", True, "fenced", "python",
         "a python fence of broken lines with one clean statement among them"),
    Case(f"Here's how it works:\n\n{FENCE}python\nav(4, 2) == 4\nad(like this, gen_3)\nsub [1]=present method 3\n{FENCE}",
         True, "fenced", "python", "a python fence whose one clean line is an expression that calls something"),
    Case(f"So:\n{FENCE}python\n3^2 + 4^2 = 25 (( and\nwords go on ((\n{FENCE}", False, None, None,
         "a python fence of maths with a power caret is not code"),
    Case(f"We calculate it with the following formula:\n\n{FENCE}\npvalue = (60 + 100) / (100 * 2)\n{FENCE}\n\nThen we decide.",
         True, "fenced", "python", "an untagged fence holding one clean assignment to a named value"),
    Case(f"We set it:\n\n{FENCE}\nx = 5\n{FENCE}\n\nThen we go on.", False, None, None,
         "an untagged fence holding one assignment to a one-letter name is algebra"),
    Case(f"We iterate over the layers, the following code:\n{FENCE}\nlen(sublists)\nlen(interplanar) assigning the upper "
         f"bounded by //odd\nassert any(true) envTo(_, enc_offset_) > 0\n{FENCE}", True, "fenced", "python",
         "an untagged fence after a line naming code and ending in a colon is judged as a python fence"),
    Case(f"Here is the JavaScript code:\n{FENCE}\nlet total = 0;\nfor (let i = 0; i < 10; i++) {{\n  total += i;\n}}\n"
         f"console.log(total);\n{FENCE}", True, "fenced", "javascript",
         "an untagged fence introduced as code that is not Python is judged by the language it points to"),
    Case("Then the list goes on.\n        print \"\"\n{ Documents ( Page 18 ) and the words go on\nname: John Smith", False,
         None, None, "a Python 2 print of an empty string amid salad is not code"),
    Case("So we draw it at random.\nimportance = np.ones([width]) + offset\nand the words (( go on ]] here", True, "unfenced",
         "python", "one clean assignment from a maths library's call amid broken lines"),
    # --- rules-v12 --------------------------------------------------------------------
    Case("Here is the equation:\n\nE=1, 2^10 = 1024\n\nSo we can write:\n\n"
         "print(*[2^x for x in nums if isinstance(x, int)]) + [1 for j in nums]\n\nOutput: (1024, 11)", True, "unfenced",
         "python", "a clean line opening with print( counts whatever its top node and operators"),
    Case("So the output is:\nprint(7 * 3 * 8), should print 35.\nAnd we are done.", False, None, None,
         "a print( line that runs on into prose does not parse: not code"),
    Case(f"In Python, it can be done as:\n\n{FENCE}python\n44 // 7  # (7 / 4 * 11 * 12) = 44\nleft shift of the rest\n{FENCE}",
         True, "fenced", "python", "a python fence whose one code line is an expression with a comment after it"),
    Case(f"So:\n\n{FENCE}python\n2^13  # the power\nwords go on here\n{FENCE}", False, None, None,
         "a commented expression with a power caret in a python fence is maths"),
    Case("First, we shift the bits (`n <<= 1`) and then convert the rest by hand.", True, "inline", "python",
         "an augmented assignment in backticks is an operator only code writes"),
    Case("The formula can be written in Python as `xyz = (a*x + bf) / 2`. Then we go on.", True, "inline", "python",
         "a backticked assignment the words before it give as Python"),
    Case("The formula is `xyz = (a*x + bf) / 2`. Then we go on.", False, None, None,
         "a backticked assignment not given as Python is a formula"),
    Case("Here is simplified code:\nseq = dim(seq, min(100, bin_width = 1))\nand the words go on (( here", True,
         "unfenced", "python", "an unfenced run after a line naming code and ending in a colon is judged as a python fence"),
    Case("We know the totals. In your original code, these appear in nested sums. You can solve it in fun-core:\n\n"
         "f = Product::Value:Clicked e\nand (( more words", False, None, None,
         "a line that names code in an earlier sentence does not introduce what follows it"),
    Case("Then it goes on.\nfull_file = hashlib.sha256(data)\nand the words (( go on ]] here", True, "unfenced", "python",
         "one clean assignment from a standard library module's call amid broken lines"),
    Case("And the shape is set.\nbox = tuple((1, 2))\nimag = math.round(com/length of cylinder*2)\nmore (( words", True,
         "unfenced", "python", "one clean assignment from a builtin maths does not write (tuple) amid broken lines"),
    Case("Thus it is truncated.\n\nprint any(m[4:0x12] // m[4:1][::-])\nprint any(m[4:1:1296], m[4:1:288]-1), \",done\"",
         True, "unfenced", "python", "a clean Python 2 print of a call and a string among broken print lines"),
    Case("Then we print them.\nprint answer is 5\nprint the result ((\nand so on.", False, None, None,
         "prose lines opening with print are not Python 2 print statements"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.note for c in CASES])
def test_case_table(case: Case) -> None:
    label = classify(case.text)
    assert label.code_reasoning is case.code
    assert label.code_style == case.style
    assert label.code_language == case.language
    assert bool(label.code_spans) is case.code


def test_a_refused_fence_says_why() -> None:
    label = classify(f"Junk {FENCE}isinstance\nint x; printf( =true ()=>{{ {FENCE}")
    assert label.code_reasoning is False
    assert "fence tagged 'isinstance'" in label.rejected_as and "python:" in label.rejected_as
    assert classify(f"{FENCE}python\nprint(1)\n{FENCE}").rejected_as is None
    assert "rejected_as" in label.to_dict()


@pytest.mark.parametrize("opening", [
    "import sympy as sp", "from sympy import symbols, solve", "from math import *", "import numpy as np, math",
    "  import math", "# a comment\nimport math", "// a note\nfrom fractions import Fraction as F",
    "import math  # for sqrt", "from sympy import (symbols,", "import for", "from x import lambda", "import 3d",
    "from . import x", "import sympy as", "importmath", "x = 1",
])
def test_the_import_shortcut_of_python_fences_agrees_with_the_parse(opening: str) -> None:
    # A python fence opening with a clean import is accepted without a parse; the shortcut must say yes only
    # where the parse of the first statement line (_opens_with_a_statement) would accept it too.
    body = opening + "\nthen (( words ]] that never parse\n"
    if verify._opens_with_an_import(body):
        assert verify._opens_with_a_statement(body)
    assert verify._opens_with_an_import(body) is (opening.lstrip().split("\n")[-1].strip() in {
        "import sympy as sp", "from sympy import symbols, solve", "from math import *", "import numpy as np, math",
        "import math", "from fractions import Fraction as F"})


def test_spans_point_at_the_code() -> None:
    text = f"Compute.\n{FENCE}python\nprint(6 * 7)\n{FENCE}\nDone."
    label = classify(text)
    (start, end), = label.code_spans
    assert text[start:end] == "print(6 * 7)\n"
    assert label.n_code_lines == 1


def test_evidence_fields() -> None:
    text = f"Using Python:\n{FENCE}python\nx = 2\nprint(x)\n{FENCE}\n{FENCE}output\n2\n{FENCE}"
    label = classify(text)
    assert (label.mentions_python, label.has_output_block, label.paper_code) == (True, True, True)
    assert label.n_code_lines == 2


def test_paper_mode_is_the_papers_rule() -> None:
    assert classify("PYTHON is great", mode="paper").code_reasoning is True
    assert classify(f"{FENCE}\nimport math\n{FENCE}", mode="paper").code_reasoning is False


def test_unknown_mode_names_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match="'ast', 'paper'.*'fancy'"):
        classify("x", mode="fancy")


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_classify_many_in_processes_matches_one_process(n_jobs: int) -> None:
    texts = [c.text for c in CASES] * 30 + ["print(1)"]  # not a multiple of n_jobs: shares differ in size
    assert classify_many(texts, n_jobs=n_jobs) == [classify(t) for t in texts]
    assert classify_many(texts, mode="paper", n_jobs=n_jobs) == [classify(t, "paper") for t in texts]


def test_a_worker_that_dies_is_an_error_not_missing_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child dies as soon as it starts, whatever the parent has labelled meanwhile (dying in
    # `classify` instead was flaky: under load the parent could label all texts before the child ran).
    monkeypatch.setattr(classify_module, "_classify_in_child", lambda *args: os._exit(9))
    with pytest.raises(WorkerError, match=r"classifier worker process \(pid \d+, exit code 9\) died.*-j 1"):
        classify_many(["x = 1"] * 1000, n_jobs=2)


def test_classify_batches_streams_in_order_with_few_batches_in_flight() -> None:
    texts = [c.text for c in CASES]
    consumed = []

    def batches():
        for i in range(40):
            consumed.append(i)
            yield [(i, t) for t in texts]

    stream = classify_batches(batches(), n_jobs=2, text=lambda item: item[1])
    first_batch, first_labels = next(stream)
    assert len(consumed) <= 2 * 2 + 1  # the rest of the input is still unread
    results = [(first_batch, first_labels), *stream]
    assert [batch[0][0] for batch, _ in results] == list(range(40))
    expected = [classify(t) for t in texts]
    assert all(labels == expected for _, labels in results)


def test_a_batch_worker_that_dies_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def die_in_worker(text: str, mode: str = "ast"):
        if os.getpid() != parent:
            os._exit(9)
        return real_classify(text, mode)

    real_classify = classify_module.classify
    monkeypatch.setattr(classify_module, "classify", die_in_worker)
    with pytest.raises(WorkerError, match=r"classifier worker process \(pid \d+, exit code 9\) died.*-j 1"):
        list(classify_batches([["x = 1"] * 10] * 4, n_jobs=2))


def test_small_inputs_stay_in_this_process() -> None:
    assert classify_many(["x = 1"], n_jobs=-1) == [classify("x = 1")]
    assert classify_many([], n_jobs=2) == []


def test_none_is_an_empty_response_and_other_types_are_refused() -> None:
    assert classify(None).code_reasoning is False  # type: ignore[arg-type]
    for value in (5, ["x = 1"], b"print(1)", {"content": "x = 1"}):
        with pytest.raises(TypeError, match=f"takes a response as a str.*got {type(value).__name__}"):
            classify(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("n_jobs", [0, -2])
def test_a_job_count_below_one_is_refused_naming_the_option(n_jobs: int) -> None:
    with pytest.raises(ConfigError, match=rf"-j/--jobs \(n_jobs\) must be a positive number.*got {n_jobs}"):
        classify_many(["x = 1"] * 100, n_jobs=n_jobs)
