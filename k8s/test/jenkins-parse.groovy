// Parse-check Groovy files as Jenkins would compile them (Jenkins runs Groovy
// 2.4, as Debian's groovy package does): up to the CONVERSION phase, i.e. full
// syntax, without resolving classes or pipeline steps, which only exist inside
// Jenkins (pipeline DSL calls are plain method calls to Groovy).
//   groovy jenkins-parse.groovy FILE...
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.Phases

int failed = 0
args.each { path ->
    def cu = new CompilationUnit(new CompilerConfiguration())
    cu.addSource(new File(path))
    try {
        cu.compile(Phases.CONVERSION)
        println "ok ${path}"
    } catch (Exception e) {
        println "FAIL ${path}: ${e.message}"
        failed++
    }
}
System.exit(failed ? 1 : 0)
