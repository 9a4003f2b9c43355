// Job DSL: one pipeline job per k8s/jenkins/pipelines/*.Jenkinsfile, and the
// views that group them. Run by the seed job that casc.yaml defines, with
// MESHSIM_REPO and MESHSIM_BRANCH from the controller's environment; the
// pipeline files are listed here so a new one is a one-line change.
String repo = System.getenv('MESHSIM_REPO') ?: 'https://example.invalid/meshsim.git'
String branch = System.getenv('MESHSIM_BRANCH') ?: 'main'

List<String> services = [
    'frontend', 'cartservice', 'productcatalogservice', 'currencyservice',
    'paymentservice', 'shippingservice', 'emailservice', 'checkoutservice',
    'recommendationservice', 'adservice', 'loadgenerator', 'business',
]
List<String> canaried = ['frontend', 'business']

def pipelineFrom = { String jobName, String file, String text ->
    pipelineJob(jobName) {
        description(text)
        definition {
            cpsScm {
                scm {
                    git {
                        remote { url(repo) }
                        branch(branch)
                    }
                }
                scriptPath("k8s/jenkins/pipelines/${file}")
                lightweight(true)
            }
        }
        properties {
            disableConcurrentBuilds()
        }
    }
}

folder('meshsim') {
    description('meshsim on EKS with Istio: one pipeline per service, canary pipelines for frontend and business')
}
services.each { svc ->
    pipelineFrom("meshsim/${svc}", "${svc}.Jenkinsfile",
        "Build, test, push and deploy ${svc} (k8s/jenkins/vars/meshsimService.groovy)")
}
canaried.each { svc ->
    pipelineFrom("meshsim/${svc}-canary", "${svc}-canary.Jenkinsfile",
        "Canary of ${svc}: deploy, weights, promote, rollback, gated by the simulator")
}

listView('meshsim/services') {
    description('Build, test, push and deploy: one job per service')
    jobs { services.each { name(it) } }
    columns { status(); weather(); name(); lastSuccess(); lastFailure(); lastDuration(); buildButton() }
}
listView('meshsim/canary') {
    description('Canary pipelines of the two critical services')
    jobs { canaried.each { name("${it}-canary") } }
    columns { status(); weather(); name(); lastSuccess(); lastFailure(); lastDuration(); buildButton() }
}
listView('meshsim/critical') {
    description('frontend and business: their service and canary pipelines together')
    jobs { canaried.each { name(it); name("${it}-canary") } }
    columns { status(); weather(); name(); lastSuccess(); lastFailure(); lastDuration(); buildButton() }
}
